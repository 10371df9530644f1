import type { ChildProcess } from "node:child_process";
import { connect } from "node:net";
import { waitFor } from "./wait-for.js";

/** A partner's FTP server started by a test (vsftpd, pure-ftpd), with one user. */
export interface FtpPartner {
  port: number;
  user: string;
  password: string;
  /** The folder the user's files land in ("/" to the user: partners chroot their users). */
  root: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Resolves once something accepts connections on the loopback port, for servers with no ready line (vsftpd, pure-ftpd). */
export async function waitForListening(port: number, child: ChildProcess, name: string): Promise<void> {
  await waitFor(
    () => {
      if (child.exitCode !== null) throw new Error(`${name} exited (${child.exitCode}) before it listened on ${port}`);
      return new Promise<true | undefined>((resolve) => {
        const socket = connect(port, "127.0.0.1");
        socket.once("connect", () => {
          socket.destroy();
          resolve(true);
        });
        socket.once("error", () => resolve(undefined));
      });
    },
    { timeoutMs: 10_000, what: `${name} listening on ${port}` },
  );
}
