import type { EndpointConfig } from "@wharf/contracts";
import type { Logger } from "@wharf/telemetry";
import type { Client } from "basic-ftp";
import type { openSession } from "./ftp-push.js";

/** A logged-in session with a partner, as deliveries use it. */
export interface PartnerSession {
  client: Client;
  tlsVersion: string | undefined;
  /** Whether it served an earlier delivery (no new TCP, TLS or login for this one). */
  reused: boolean;
  /** The partner's FEAT answer, once a delivery asked for it. */
  features?: Map<string, string>;
}

export interface SessionPool {
  /** An idle session with the endpoint's partner that still answers, or a new one. */
  acquire(endpoint: EndpointConfig): Promise<PartnerSession>;
  /**
   * Hands a session back. One whose work ended well waits for the next
   * delivery (at most the endpoint's maxConnections wait, each for `idleMs`);
   * any other is closed, since its connection may be in the middle of a reply.
   */
  release(endpoint: EndpointConfig, session: PartnerSession, reusable: boolean): void;
  /** Closes every idle session (outbound is stopping). */
  close(): void;
}

export interface SessionCounts {
  inc(labels: { result: "opened" | "reused" | "stale" }): void;
}

interface Idle {
  session: PartnerSession;
  timer: NodeJS.Timeout;
}

/**
 * Keeps partners' sessions open between deliveries (basic-ftp does one
 * operation per client, so a session serves one delivery at a time; the
 * caller bounds how many run at once). A new session per file costs a TCP
 * connection, a TLS handshake and a login, several round trips and, at a
 * strict partner, a new login in its logs for every file. A session idle for
 * `idleMs` is closed before the partner's own idle timeout (vsftpd's is
 * 300 s) would close it under us; one that the partner closed anyway is
 * found by a NOOP before it is used. A session belongs to one version of its
 * endpoint's settings: a changed endpoint gets new ones.
 */
export function createSessionPool({
  log,
  counts,
  idleMs = 30_000,
  open,
}: {
  log: Pick<Logger, "warn">;
  counts: SessionCounts;
  idleMs?: number;
  /** Opens a logged-in session (openSession, with the process's secrets). */
  open: (endpoint: EndpointConfig, log: Pick<Logger, "warn">) => ReturnType<typeof openSession>;
}): SessionPool {
  /** Idle sessions by endpoint name, each with the settings it was opened with. */
  const idle = new Map<string, { settings: string; sessions: Idle[] }>();

  const closeIdle = (name: string) => {
    for (const { session, timer } of idle.get(name)?.sessions ?? []) {
      clearTimeout(timer);
      session.client.close();
    }
    idle.delete(name);
  };

  return {
    async acquire(endpoint) {
      const settings = JSON.stringify(endpoint);
      const entry = idle.get(endpoint.name);
      if (entry && entry.settings !== settings) closeIdle(endpoint.name);
      // The most recently used first: the one least likely to have been closed by the partner.
      for (let next = idle.get(endpoint.name)?.sessions.pop(); next; next = idle.get(endpoint.name)?.sessions.pop()) {
        clearTimeout(next.timer);
        const { client } = next.session;
        const answers = !client.closed && (await client.send("NOOP").then(() => true, () => false));
        if (answers) {
          counts.inc({ result: "reused" });
          return { ...next.session, reused: true };
        }
        counts.inc({ result: "stale" });
        client.close();
      }
      const opened = await open(endpoint, log);
      counts.inc({ result: "opened" });
      return { ...opened, reused: false };
    },

    release(endpoint, session, reusable) {
      const settings = JSON.stringify(endpoint);
      let entry = idle.get(endpoint.name);
      if (entry && entry.settings !== settings) {
        closeIdle(endpoint.name);
        entry = undefined;
      }
      if (!reusable || idleMs === 0 || session.client.closed || (entry?.sessions.length ?? 0) >= endpoint.maxConnections) {
        session.client.close();
        return;
      }
      if (!entry) {
        entry = { settings, sessions: [] };
        idle.set(endpoint.name, entry);
      }
      const held = entry;
      const waiting: Idle = {
        session,
        timer: setTimeout(() => {
          held.sessions.splice(held.sessions.indexOf(waiting), 1);
          session.client.close();
        }, idleMs).unref(),
      };
      held.sessions.push(waiting);
    },

    close() {
      for (const name of [...idle.keys()]) closeIdle(name);
    },
  };
}
