import { Counter, Gauge, Histogram, type Registry } from "prom-client";

/** Why a session ended: the client's QUIT, one of the server's reasons, or `client` (the client went away). */
export type SessionCloseReason = "quit" | "idle_timeout" | "login_timeout" | "too_many_logins" | "auth_unavailable" | "protocol" | "shutdown" | "too_many_sessions" | "session_expired";

export interface ListenerMetrics {
  sessionsActive: Gauge<"port">;
  sessionsOpened: Counter<"port">;
  sessionsClosed: Counter<"port" | "reason">;
  sessionsRefused: Counter<"port" | "reason">;
  logins: Counter<"port" | "result">;
  sessionLimitFallbacks: Counter;
  commands: Counter<"port" | "command">;
  transfers: Counter<"port" | "direction" | "outcome">;
  transferBytes: Counter<"port" | "direction">;
  transferDuration: Histogram<"port" | "direction" | "outcome">;
  foreignDataConnections: Counter<"port">;
  dataTls: Counter<"port" | "resumed" | "outcome">;
  portFailures: Counter<"port">;
  clientCertificates: Counter<"port" | "result">;
}

/** The listener's metrics; label values are bounded (port aliases, known verbs, fixed outcomes). */
export function createListenerMetrics(registry: Registry): ListenerMetrics {
  const registers = [registry];
  return {
    sessionsActive: new Gauge({ name: "wharf_ftp_sessions_active", help: "FTP sessions open now.", labelNames: ["port"] as const, registers }),
    sessionsOpened: new Counter({ name: "wharf_ftp_sessions_opened_total", help: "FTP sessions accepted.", labelNames: ["port"] as const, registers }),
    sessionsClosed: new Counter({
      name: "wharf_ftp_sessions_closed_total",
      help: "FTP sessions that ended, by reason: quit, idle_timeout, login_timeout, too_many_logins, auth_unavailable, protocol, shutdown, too_many_sessions (the user had every session they may have), session_expired (its storage grant ended: log in again), client (the client went away).",
      labelNames: ["port", "reason"] as const,
      registers,
    }),
    sessionsRefused: new Counter({
      name: "wharf_ftp_sessions_refused_total",
      help: "Connections refused before a session started (reason: ip_access, banned, total, per_ip; behind a load balancer: untrusted_proxy, proxy_header).",
      labelNames: ["port", "reason"] as const,
      registers,
    }),
    sessionLimitFallbacks: new Counter({
      name: "wharf_ftp_session_limit_fallbacks_total",
      help: "Session limits (per address, per user) decided by this listener alone because the bus did not answer.",
      registers,
    }),
    logins: new Counter({ name: "wharf_ftp_logins_total", help: "Login attempts by result (ok, refused, error, too_many_sessions).", labelNames: ["port", "result"] as const, registers }),
    commands: new Counter({ name: "wharf_ftp_commands_total", help: "Commands received, by verb (unknown verbs count as OTHER).", labelNames: ["port", "command"] as const, registers }),
    transfers: new Counter({
      name: "wharf_ftp_transfers_total",
      help: "Data transfers by direction (upload, download, listing) and outcome (ok, aborted, failed).",
      labelNames: ["port", "direction", "outcome"] as const,
      registers,
    }),
    transferBytes: new Counter({ name: "wharf_ftp_transfer_bytes_total", help: "Bytes moved on data connections.", labelNames: ["port", "direction"] as const, registers }),
    transferDuration: new Histogram({
      name: "wharf_ftp_transfer_duration_seconds",
      help: "Data transfers from the data connection's opening to their end (for uploads, storage's commit included), by direction and outcome.",
      labelNames: ["port", "direction", "outcome"] as const,
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800],
      registers,
    }),
    foreignDataConnections: new Counter({
      name: "wharf_ftp_foreign_data_connections_total",
      help: "Connections to a passive port from another address than the session's client, dropped.",
      labelNames: ["port"] as const,
      registers,
    }),
    portFailures: new Counter({
      name: "wharf_ftp_port_failures_total",
      help: "Configured ports that could not start or were refused (bad configuration, certificate, address in use).",
      labelNames: ["port"] as const,
      registers,
    }),
    clientCertificates: new Counter({
      name: "wharf_ftp_client_certificates_total",
      help: "Client certificates at the TLS handshake on ports that ask for one, by result (accepted, absent, refused).",
      labelNames: ["port", "result"] as const,
      registers,
    }),
    dataTls: new Counter({
      name: "wharf_ftp_data_tls_total",
      help: "TLS data connections by whether they resumed their control session and whether they were accepted (refused: reuse required).",
      labelNames: ["port", "resumed", "outcome"] as const,
      registers,
    }),
  };
}

/** Counts one data transfer that ended: its outcome, its duration, and (when it completed) its bytes. */
export function countTransfer(
  metrics: Pick<ListenerMetrics, "transfers" | "transferBytes" | "transferDuration">,
  { port, direction, outcome, startedAt, bytes }: { port: string; direction: "upload" | "download" | "listing"; outcome: "ok" | "aborted" | "failed"; startedAt: number; bytes?: number },
): void {
  metrics.transfers.inc({ port, direction, outcome });
  metrics.transferDuration.observe({ port, direction, outcome }, (performance.now() - startedAt) / 1000);
  if (outcome === "ok" && bytes !== undefined && direction !== "listing") metrics.transferBytes.inc({ port, direction }, bytes);
}
