import { createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { createIpAccess } from "./ip-access.js";
import { plainAddress } from "./passive-listener.js";
import { FtpSession, type SessionDeps } from "./session.js";

export interface FtpServer {
  readonly port: number;
  /** The sessions open now. */
  readonly sessions: ReadonlySet<FtpSession>;
  /** Stops accepting; open sessions go on. */
  stopAccepting(): void;
  /** Ends every session with 421 and resolves when their connections are gone. */
  closeSessions(): Promise<void>;
  /** Ends idle sessions at once and the others once their running command answered; what still runs after `deadlineMs` is cut. */
  drainSessions(deadlineMs: number): Promise<void>;
}

/** Listens on one FTP port and runs an FtpSession per connection. */
export async function startFtpServer({ host, port }: { host: string; port: number }, deps: SessionDeps): Promise<FtpServer> {
  const sessions = new Set<FtpSession>();
  const perAddress = new Map<string, number>();
  const { maxSessions, maxSessionsPerIp, tlsMode, alias } = deps.settings;
  const mayConnect = createIpAccess(deps.settings.ipAccess);
  const server: Server = createServer((socket: Socket) => {
    socket.setNoDelay(true);
    socket.on("error", () => undefined);
    const address = plainAddress(socket.remoteAddress) ?? "unknown";
    const fromAddress = perAddress.get(address) ?? 0;
    const refusal = !mayConnect(address)
      ? "ip_access"
      : deps.isBanned?.(address)
        ? "banned"
        : maxSessions > 0 && sessions.size >= maxSessions
          ? "total"
          : maxSessionsPerIp > 0 && fromAddress >= maxSessionsPerIp
            ? "per_ip"
            : undefined;
    if (refusal) {
      // vsftpd's max_clients / max_per_ip and tcp_wrappers: 421 and close. An implicit-FTPS client expects TLS
      // first, so it only sees the close; an address refused by the access lists learns nothing either.
      deps.metrics.sessionsRefused.inc({ port: alias, reason: refusal });
      deps.log.warn({ remote: address, reason: refusal }, "connection refused");
      if (tlsMode === "implicit" || refusal === "ip_access" || refusal === "banned") socket.destroy();
      else socket.end(`421 Too many connections${refusal === "per_ip" ? " from your address" : ""}; try again later.\r\n`);
      return;
    }
    perAddress.set(address, fromAddress + 1);
    socket.once("close", () => {
      const left = (perAddress.get(address) ?? 1) - 1;
      if (left > 0) perAddress.set(address, left);
      else perAddress.delete(address);
    });
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
    closeSessions: () => closeAll([...sessions]),
    drainSessions: async (deadlineMs) => {
      // Idle sessions end at once; running transfers get until the deadline, then are cut like closeSessions().
      const drained = Promise.all([...sessions].map((session) => session.drain()));
      let timer: NodeJS.Timeout | undefined;
      const late = await Promise.race([drained.then(() => false), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), deadlineMs)))]);
      clearTimeout(timer);
      if (!late) return;
      deps.log.warn({ sessions: sessions.size, deadlineMs }, "transfers still running at the end of the drain: cut");
      await closeAll([...sessions]);
    },
  };
}

/** Ends the sessions with 421 (a running transfer is cut) and resolves when their connections are gone. */
async function closeAll(sessions: FtpSession[]): Promise<void> {
  const closing = sessions.map((session) => session.closed);
  for (const session of sessions) session.closeWith(421, "Service shutting down.", "shutdown");
  await Promise.all(closing);
}
