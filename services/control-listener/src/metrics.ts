import { Counter, Gauge, type Registry } from "prom-client";

export interface ListenerMetrics {
  sessionsActive: Gauge<"port">;
  sessionsOpened: Counter<"port">;
  sessionsRefused: Counter<"port" | "reason">;
  logins: Counter<"port" | "result">;
  commands: Counter<"port" | "command">;
  transfers: Counter<"port" | "direction" | "outcome">;
  transferBytes: Counter<"port" | "direction">;
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
    sessionsRefused: new Counter({
      name: "wharf_ftp_sessions_refused_total",
      help: "Connections refused before a session started (reason: ip_access, banned, total, per_ip).",
      labelNames: ["port", "reason"] as const,
      registers,
    }),
    logins: new Counter({ name: "wharf_ftp_logins_total", help: "Login attempts by result (ok, refused, error).", labelNames: ["port", "result"] as const, registers }),
    commands: new Counter({ name: "wharf_ftp_commands_total", help: "Commands received, by verb (unknown verbs count as OTHER).", labelNames: ["port", "command"] as const, registers }),
    transfers: new Counter({
      name: "wharf_ftp_transfers_total",
      help: "Data transfers by direction (upload, download, listing) and outcome (ok, aborted, failed).",
      labelNames: ["port", "direction", "outcome"] as const,
      registers,
    }),
    transferBytes: new Counter({ name: "wharf_ftp_transfer_bytes_total", help: "Bytes moved on data connections.", labelNames: ["port", "direction"] as const, registers }),
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
