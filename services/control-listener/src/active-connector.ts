import { connect, type Socket } from "node:net";
import type { DataEndpoint } from "./passive-listener.js";

export interface ActiveOptions {
  /** Where the client listens (already checked: the control peer's address, a port ≥ 1024). */
  host: string;
  port: number;
  /** The local address to connect from: the control connection's local address. */
  localAddress: string;
}

/**
 * Active mode (PORT/EPRT): the server connects to the client for one
 * transfer, when the transfer command comes, like vsftpd. Over TLS the
 * server still plays the TLS server on this connection (RFC 4217 §7).
 */
export class ActiveConnector implements DataEndpoint {
  private socket: Socket | undefined;

  constructor(private readonly options: ActiveOptions) {}

  accept(timeoutMs: number): Promise<Socket> {
    const { host, port, localAddress } = this.options;
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port, localAddress });
      this.socket = socket;
      const fail = (reason: Error) => {
        clearTimeout(timer);
        socket.destroy();
        reject(reason);
      };
      const timer = setTimeout(() => fail(new Error("active data connection timed out")), timeoutMs);
      const closed = () => fail(new Error("active data connection closed"));
      socket.once("error", fail);
      socket.once("close", closed);
      socket.once("connect", () => {
        clearTimeout(timer);
        socket.removeListener("error", fail);
        socket.removeListener("close", closed);
        resolve(socket);
      });
    });
  }

  /** Nothing to release: the connection, once made, belongs to its transfer. */
  close(): void {}

  /** Drops a connection that was being made or that nobody used. */
  discard(): void {
    this.socket?.destroy();
  }
}
