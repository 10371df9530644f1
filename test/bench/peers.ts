import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdirSync, } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { stopChildProcess } from "@wharf/bus";
import { getFreePort, hasVsftpd, startVsftpdPartner, waitFor } from "@wharf/testing";
import { startWharf } from "../e2e/stack.js";

/** An FTPS server under test: where to reach it, and which processes to weigh. */
export interface Target {
  name: string;
  port: number;
  user: string;
  password: string;
  /** The folder the server stores the user's files in. */
  root: string;
  /** Puts a file in place for downloads, where the files are not in a folder here (the scaled stack's nats backend). */
  seed?(name: string, bytes: Buffer): Promise<void>;
  pids(): number[];
  stop(): Promise<void>;
}

export interface Tls {
  certFile: string;
  keyFile: string;
}

const connects = (port: number) =>
  waitFor(
    () =>
      new Promise<true | undefined>((resolve) => {
        import("node:net").then(({ connect }) => {
          const socket = connect({ port, host: "127.0.0.1" }, () => {
            socket.destroy();
            resolve(true);
          });
          socket.on("error", () => resolve(undefined));
        });
      }),
    { timeoutMs: 30_000, what: `a server on port ${port}` },
  );

/** Wharf as `npm start` runs it, with its data folder in `base` (a tmpfs when there is one). */
export async function startWharfTarget(base: string): Promise<Target> {
  process.env.TMPDIR = base;
  // Every benchmark client comes from 127.0.0.1: lift the per-address session limit (20 by default).
  process.env.WHARF_FTP_MAX_SESSIONS_PER_IP = "0";
  // The idle-sessions row holds 10,000 sessions and more on this one port.
  process.env.WHARF_FTP_MAX_SESSIONS = "0";
  // As many passive ports as vsftpd gets (43000-43999): the many-sessions row has up to 500 transfers at once.
  const wharf = await startWharf({ passivePortCount: 1_000 });
  const log = wharf.output.join("\n");
  const pids = [...log.matchAll(/started \S+ \(pid (\d+)\)/g), ...log.matchAll(/^\[nats-server\]\s+\[(\d+)\]/gm)].map((match) => Number(match[1]));
  return {
    name: "wharf",
    port: wharf.ftpPort,
    user: "demo",
    password: wharf.password,
    root: join(wharf.dataDir, "files/demo"),
    pids: () => [...new Set(pids)],
    stop: async () => void (await wharf.stop()),
  };
}

/**
 * vsftpd from its Debian package, run by us (not as a system service) as a strict
 * explicit-FTPS partner: require_ssl_reuse, forced TLS for logins and data (PEERS.md).
 */
export async function startVsftpd(base: string, tls: Tls): Promise<Target | undefined> {
  if (!hasVsftpd()) return undefined;
  const partner = await startVsftpdPartner(base, { ...tls, user: "wharfbench", password: "bench-password-1" });
  return processTarget("vsftpd", partner.child, { port: partner.port, user: partner.user, password: partner.password, root: partner.root });
}

/** ftp-srv 4.6.3, the npm baseline, with explicit TLS, in a process of its own. */
export async function startFtpSrv(base: string, tls: Tls): Promise<Target> {
  const port = await getFreePort();
  const root = join(base, "ftp-srv-root");
  mkdirSync(root, { recursive: true });
  const script = fileURLToPath(new URL("./ftp-srv-server.js", import.meta.url));
  const child = spawn(process.execPath, [script, String(port), root, tls.certFile, tls.keyFile], { stdio: "ignore" });
  await connects(port);
  return processTarget("ftp-srv", child, { port, user: "bench", password: "bench", root });
}

function processTarget(name: string, child: ChildProcess, where: { port: number; user: string; password: string; root: string }): Target {
  const descendants = (pid: number): number[] => {
    try {
      const children = execFileSync("pgrep", ["-P", String(pid)]).toString().trim().split("\n").filter(Boolean).map(Number);
      return children.flatMap((childPid) => [childPid, ...descendants(childPid)]);
    } catch {
      return [];
    }
  };
  return {
    name,
    ...where,
    pids: () => (child.pid ? [child.pid, ...descendants(child.pid)] : []),
    stop: () => stopChildProcess(child),
  };
}
