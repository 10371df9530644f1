import type { PortSettings } from "./config.js";
import { type FtpServer, startFtpServer } from "./ftp-server.js";
import type { SessionDeps } from "./session.js";
import { loadPortTls } from "./tls-contexts.js";

export type PortState = "listening" | "failed" | "stopped";

export interface PortStatus {
  alias: string;
  state: PortState;
  port?: number | undefined;
  error?: string | undefined;
}

export interface PortManager {
  /** Starts, restarts (settings changed), or stops (undefined, or disabled) one port. Calls are applied in order. */
  apply(alias: string, settings: (PortSettings & { enabled?: boolean }) | undefined): Promise<void>;
  /** Reports a port whose configuration could not be used at all (e.g. invalid). */
  fail(alias: string, error: string): Promise<void>;
  statuses(): PortStatus[];
  /** Stops every port; with `drainMs`, running transfers get that long to finish (the listener is stopping). */
  closeAll(drainMs?: number): Promise<void>;
}

type SharedDeps = Omit<SessionDeps, "settings" | "tls">;

/**
 * Runs the listener's configured ports. A changed port gets a new listening
 * socket at once; sessions already on the old one go on with the settings they
 * started with. A removed or disabled port stops accepting and its sessions get
 * 421. A port that cannot start (bad certificate, address in use) is reported,
 * never fatal: the other ports keep running.
 */
export function createPortManager(deps: SharedDeps, onStatus: (status: PortStatus) => Promise<void> | void): PortManager {
  const running = new Map<string, { server: FtpServer; fingerprint: string }>();
  const statuses = new Map<string, PortStatus>();
  let queue = Promise.resolve();
  const log = deps.log.child({ component: "ports" });

  const report = async (status: PortStatus) => {
    statuses.set(status.alias, status);
    try {
      await onStatus(status);
    } catch (error) {
      log.warn({ err: error, alias: status.alias }, "could not record port status");
    }
  };

  const stop = async (alias: string, drainMs?: number) => {
    const current = running.get(alias);
    if (!current) return;
    running.delete(alias);
    current.server.stopAccepting();
    await (drainMs === undefined ? current.server.closeSessions() : current.server.drainSessions(drainMs));
  };

  const applyNow = async (alias: string, settings: (PortSettings & { enabled?: boolean }) | undefined) => {
    if (!settings || settings.enabled === false) {
      if (!running.has(alias) && !statuses.has(alias)) return;
      await stop(alias);
      log.info({ alias }, "port stopped");
      await report({ alias, state: "stopped" });
      return;
    }
    const fingerprint = JSON.stringify(settings);
    const current = running.get(alias);
    if (current?.fingerprint === fingerprint) return;
    if (current) {
      // Free the address for the new socket; sessions on the old one finish with their settings.
      running.delete(alias);
      current.server.stopAccepting();
    }
    try {
      const tls = loadPortTls(settings);
      const server = await startFtpServer(settings, { ...deps, settings, tls, log: deps.log.child({ component: "ftp", port: alias }) });
      running.set(alias, { server, fingerprint });
      log.info({ alias, port: server.port, mode: settings.tlsMode }, "port listening");
      await report({ alias, state: "listening", port: server.port });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      log.error({ alias, err: message }, "port could not start");
      deps.metrics.portFailures.inc({ port: alias });
      await report({ alias, state: "failed", port: settings.port, error: message });
    }
  };

  return {
    apply: (alias, settings) => {
      queue = queue.then(() => applyNow(alias, settings));
      return queue;
    },
    fail: (alias, error) => {
      queue = queue.then(async () => {
        await stop(alias);
        deps.metrics.portFailures.inc({ port: alias });
        log.error({ alias, err: error }, "port configuration refused");
        await report({ alias, state: "failed", error });
      });
      return queue;
    },
    statuses: () => [...statuses.values()],
    closeAll: async (drainMs) => {
      await queue;
      await Promise.all([...running.keys()].map((alias) => stop(alias, drainMs)));
    },
  };
}
