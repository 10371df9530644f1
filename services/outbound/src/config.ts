import { commonEnv, commonSettings, durationMs, grpcTlsEnv, grpcTlsFiles, hostPortList, tcpPort } from "@wharf/config";
import { secretsEnv, secretsSettings } from "@wharf/secrets";
import { hostname } from "node:os";
import { z } from "zod";

export const OutboundConfig = z
  .object({
    ...commonEnv,
    // Port of /metrics, /healthz and /readyz.
    WHARF_OUTBOUND_METRICS_PORT: tcpPort.default(9104),
    // Storage's gRPC address, host:port, or several instances' IPv4 address:port separated by commas (outbound reads the files it delivers from there).
    WHARF_STORAGE_ADDRESS: hostPortList.default("127.0.0.1:50151"),
    ...grpcTlsEnv,
    // After outbound stops mid-delivery (a crash), the event goes to another instance (or back to this one) after this long.
    WHARF_OUTBOUND_ACK_WAIT_MS: durationMs.default(30_000),
    // Events (deliveries) handled at once by this instance; each endpoint's maxConnections bounds its share.
    WHARF_OUTBOUND_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(8),
    // A partner's session stays open this long after a delivery, for the next one (0: a new session per delivery).
    // Keep it below the partners' own idle timeouts (vsftpd's is 300 s).
    WHARF_OUTBOUND_SESSION_IDLE_MS: durationMs.default(30_000),
    // Names this instance in delivery claims and pull leases; keep it stable across restarts (default: host name
    // and metrics port), so that a restarted instance takes its own claims back at once instead of waiting them out.
    WHARF_OUTBOUND_INSTANCE_ID: z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, "letters, digits, '.', '_', ':' and '-' only").optional(),
    // The keyring that opens endpoints' sealed secrets (docs/secrets.md): WHARF_SECRETS_KEY_FILE, or WHARF_SECRETS_KEY.
    ...secretsEnv,
  })
  .transform((env) => ({
    ...commonSettings(env),
    metricsPort: env.WHARF_OUTBOUND_METRICS_PORT,
    storageAddress: env.WHARF_STORAGE_ADDRESS,
    storageTls: grpcTlsFiles(env),
    ackWaitMs: env.WHARF_OUTBOUND_ACK_WAIT_MS,
    concurrency: env.WHARF_OUTBOUND_CONCURRENCY,
    sessionIdleMs: env.WHARF_OUTBOUND_SESSION_IDLE_MS,
    instanceId: env.WHARF_OUTBOUND_INSTANCE_ID ?? `${hostname()}-${env.WHARF_OUTBOUND_METRICS_PORT}`,
    secrets: secretsSettings(env),
  }));
export type OutboundConfig = z.output<typeof OutboundConfig>;
