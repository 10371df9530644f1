import { createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { cidrMatcher, sessionKeys } from "@wharf/contracts";
import { createIpAccess } from "./ip-access.js";
import { plainAddress } from "./passive-listener.js";
import { readProxyHeader } from "./proxy-protocol.js";
import type { Release } from "./session-limits.js";
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

/** How long a connection from the load balancer may take to send its PROXY protocol header. */
const PROXY_HEADER_TIMEOUT_MS = 5_000;

type Refusal = "ip_access" | "banned" | "total" | "per_ip" | "untrusted_proxy" | "proxy_header";

/** Listens on one FTP port and runs an FtpSession per connection. */
export async function startFtpServer({ host, port }: { host: string; port: number }, deps: SessionDeps): Promise<FtpServer> {
  const sessions = new Set<FtpSession>();
  const { maxSessions, maxSessionsPerIp, tlsMode, alias, proxyProtocol } = deps.settings;
  const mayConnect = createIpAccess(deps.settings.ipAccess);
  const fromTrustedProxy = cidrMatcher(proxyProtocol.trustedProxies);
  let accepting = true;
  /** Connections past the checks' first step and not yet sessions (their PROXY header or the cluster-wide count is awaited). */
  let admitting = 0;

  const refuse = (socket: Socket, address: string, refusal: Refusal) => {
    // vsftpd's max_clients / max_per_ip and tcp_wrappers: 421 and close. An implicit-FTPS client expects TLS
    // first, so it only sees the close; an address refused by the access lists learns nothing either.
    deps.metrics.sessionsRefused.inc({ port: alias, reason: refusal });
    deps.log.warn({ remote: address, reason: refusal }, "connection refused");
    if (tlsMode === "implicit" || (refusal !== "total" && refusal !== "per_ip")) socket.destroy();
    else socket.end(`421 Too many connections${refusal === "per_ip" ? " from your address" : ""}; try again later.\r\n`);
  };

  const admit = async (socket: Socket) => {
    const connectedFrom = plainAddress(socket.remoteAddress) ?? "unknown";
    let address = connectedFrom;
    if (proxyProtocol.enabled) {
      // Behind a load balancer the connection comes from it; the partner's address is in the header it sends first.
      if (!fromTrustedProxy(connectedFrom)) return refuse(socket, connectedFrom, "untrusted_proxy");
      try {
        address = plainAddress((await readProxyHeader(socket, PROXY_HEADER_TIMEOUT_MS))?.address) ?? connectedFrom;
      } catch (error) {
        deps.log.debug({ err: error, from: connectedFrom }, "no usable PROXY protocol header");
        return refuse(socket, connectedFrom, "proxy_header");
      }
    }
    const refusal = !mayConnect(address) ? "ip_access" : deps.isBanned?.(address) ? "banned" : maxSessions > 0 && sessions.size + admitting > maxSessions ? "total" : undefined;
    if (refusal) return refuse(socket, address, refusal);
    let release: Release | undefined;
    if (maxSessionsPerIp > 0) {
      // Counted across every listener of the cluster: a partner behind the balancer reaches all of them.
      release = await deps.sessionLimits.claim(sessionKeys.address(alias, address), maxSessionsPerIp);
      if (!release) return refuse(socket, address, "per_ip");
    }
    if (!accepting || socket.destroyed) {
      void release?.();
      return socket.destroy();
    }
    const session = new FtpSession(socket, deps, address);
    sessions.add(session);
    socket.once("close", () => {
      sessions.delete(session);
      void release?.();
    });
    session.start();
  };

  const server: Server = createServer((socket: Socket) => {
    socket.setNoDelay(true);
    socket.on("error", () => undefined);
    admitting += 1;
    void admit(socket)
      .catch((error: unknown) => {
        deps.log.error({ err: error }, "connection could not be admitted");
        socket.destroy();
      })
      .finally(() => {
        admitting -= 1;
      });
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
    stopAccepting: () => {
      accepting = false;
      server.close();
    },
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
