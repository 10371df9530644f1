import { createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { FtpSession, type SessionDeps } from "./session.js";

export interface FtpServer {
  readonly port: number;
  /** The sessions open now. */
  readonly sessions: ReadonlySet<FtpSession>;
  /** Stops accepting; open sessions go on. */
  stopAccepting(): void;
  /** Ends every session with 421 and resolves when their connections are gone. */
  closeSessions(): Promise<void>;
}

/** Listens on one FTP port and runs an FtpSession per connection. */
export async function startFtpServer({ host, port }: { host: string; port: number }, deps: SessionDeps): Promise<FtpServer> {
  const sessions = new Set<FtpSession>();
  const server: Server = createServer((socket: Socket) => {
    socket.setNoDelay(true);
    const session = new FtpSession(socket, deps);
    sessions.add(session);
    socket.once("close", () => sessions.delete(session));
    session.start();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host, port }, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    sessions,
    // close() alone: its callback would wait for every open session to end.
    stopAccepting: () => void server.close(),
    closeSessions: async () => {
      const closing = [...sessions].map((session) => session.closed);
      for (const session of sessions) session.closeWith(421, "Service shutting down.");
      await Promise.all(closing);
    },
  };
}
