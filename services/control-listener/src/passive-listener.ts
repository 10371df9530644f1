import { randomInt } from "node:crypto";
import { createServer, type Server, type Socket } from "node:net";
import { readProxyHeader } from "./proxy-protocol.js";

export interface PassiveOptions {
  /** The local address to bind (the control connection's local address). */
  host: string;
  range: { low: number; high: number };
  /** Only a connection from this address is the client's; any other is dropped. */
  expectedPeer: string;
  /** Called for each foreign connection that was dropped (for logs and metrics). */
  onForeign: (peer: string | undefined) => void;
  /** Behind a load balancer: connections come from these addresses and name the client in a PROXY protocol header. */
  proxy?: { fromTrustedProxy: (address: string) => boolean; headerTimeoutMs: number } | undefined;
}

/** Strips the IPv4-mapped prefix so "::ffff:127.0.0.1" and "127.0.0.1" compare equal. */
export function plainAddress(address: string | undefined): string | undefined {
  return address?.startsWith("::ffff:") ? address.slice(7) : address;
}

const BIND_TRIES = 50;

/** Where the next transfer's data connection comes from: a passive port, or an active connect to the client. */
export interface DataEndpoint {
  /** The data connection, once the client connected (passive) or the server reached the client (active). */
  accept(timeoutMs: number): Promise<Socket>;
  /** Stops waiting for new connections; a connection already taken is left to its transfer. */
  close(): void;
  /** Releases everything, drops an unused connection and fails a pending accept(). */
  discard(): void;
}

/**
 * A passive data port for one transfer. The port is drawn at random from the
 * range (RFC 2577 §8: no predictable ports). A connection from another address
 * than the control peer is closed at once, without a byte, and the port keeps
 * waiting for the real client (pure-ftpd's behaviour), so a port-stealer cannot
 * break the victim's session. Behind a load balancer the client's address is
 * the one the PROXY protocol header names.
 */
export class PassiveListener implements DataEndpoint {
  readonly port: number;
  private socket: Socket | undefined;
  private waiter: ((socket: Socket) => void) | undefined;
  private giveUp: ((reason: Error) => void) | undefined;

  private constructor(
    private readonly server: Server,
    port: number,
  ) {
    this.port = port;
  }

  static async open(options: PassiveOptions): Promise<PassiveListener> {
    const size = options.range.high - options.range.low + 1;
    for (let attempt = 0; attempt < Math.min(BIND_TRIES, size); attempt++) {
      const port = options.range.low + randomInt(size);
      const server = createServer({ pauseOnConnect: true });
      const bound = await new Promise<boolean>((resolve) => {
        server.once("error", () => resolve(false));
        server.listen({ port, host: options.host, backlog: 4, exclusive: true }, () => resolve(true));
      });
      if (!bound) continue;
      const listener = new PassiveListener(server, port);
      server.on("connection", (socket) => void listener.onConnection(socket, options));
      // An accept error (e.g. out of file descriptors) must not crash the process; the client then times out (425).
      server.on("error", () => undefined);
      return listener;
    }
    throw new Error("no free passive port in the configured range");
  }

  private async onConnection(socket: Socket, options: PassiveOptions): Promise<void> {
    let peer = plainAddress(socket.remoteAddress);
    if (options.proxy && !this.socket) {
      socket.on("error", () => undefined);
      if (!options.proxy.fromTrustedProxy(peer ?? "")) {
        socket.destroy();
        return options.onForeign(peer);
      }
      const header = await readProxyHeader(socket, options.proxy.headerTimeoutMs).catch(() => null);
      if (header === null) {
        socket.destroy();
        return options.onForeign(peer);
      }
      // A LOCAL header (the balancer's own check) names no client: it is not the client's connection.
      peer = plainAddress(header?.address);
    }
    if (this.socket || peer !== options.expectedPeer) {
      socket.destroy();
      if (!this.socket) options.onForeign(peer);
      return;
    }
    this.socket = socket;
    this.server.close();
    this.waiter?.(socket);
  }

  /** The client's data connection, as soon as it is there (it may arrive before the transfer command). */
  accept(timeoutMs: number): Promise<Socket> {
    if (this.socket) return Promise.resolve(this.socket);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new Error("data connection timed out"));
      }, timeoutMs);
      this.waiter = (socket) => {
        clearTimeout(timer);
        resolve(socket);
      };
      this.giveUp = (reason) => {
        clearTimeout(timer);
        this.waiter = undefined;
        reject(reason);
      };
    });
  }

  /** Releases the port; a data connection that was taken is left to its transfer. */
  close(): void {
    this.server.close();
    if (this.waiter) this.waiter = undefined;
  }

  /** Releases the port, drops an accepted connection nobody used, and fails a pending accept(). */
  discard(): void {
    this.close();
    this.socket?.destroy();
    this.giveUp?.(new Error("data connection abandoned"));
  }
}
