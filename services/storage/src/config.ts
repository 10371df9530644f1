import { commonEnv, commonSettings, durationMs, grpcTlsEnv, grpcTlsFiles, hostPort, tcpPort } from "@wharf/config";
import { z } from "zod";

export const StorageConfig = z
  .object({
    ...commonEnv,
    // Where files are kept: "filesystem" (WHARF_DATA_DIR) or "nats" (a JetStream object store on WHARF_NATS_URL, shared by every storage instance).
    WHARF_STORAGE_BACKEND: z.enum(["filesystem", "nats"]).default("filesystem"),
    // Folder that holds files/ (committed files per root), uploads/ (in progress) and partials/ (cut uploads kept for resume).
    WHARF_DATA_DIR: z.string().min(1).default("data"),
    // With the nats backend: replicas of its object store and buckets; by default WHARF_NATS_REPLICAS.
    WHARF_STORAGE_REPLICAS: z.coerce.number().int().min(1).max(5).optional(),
    // With the nats backend: names this instance in its journals; keep it stable across restarts (default: host name and gRPC address).
    WHARF_STORAGE_INSTANCE_ID: z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, "letters, digits, '.', '_', ':' and '-' only").optional(),
    // With the nats backend: after this long without news, another instance's upload or commit is taken for abandoned and finished; replaced files stay readable this long for readers that opened them.
    WHARF_STORAGE_STALE_MS: durationMs.default(120_000),
    // Address the gRPC server binds, host:port.
    WHARF_STORAGE_GRPC_ADDRESS: hostPort.default("127.0.0.1:50151"),
    // Mutual TLS: only callers with a certificate from this CA (wharf-listener, wharf-outbound) get in.
    ...grpcTlsEnv,
    // auth's public key for session grants (PEM, Ed25519): the listener then acts only on roots of partners auth logged in.
    WHARF_STORAGE_GRANT_PUBLIC_KEY_FILE: z.string().min(1).optional(),
    // An upload stream with no message for this long is aborted and its temp file removed.
    WHARF_STORAGE_UPLOAD_IDLE_TIMEOUT_MS: durationMs.default(120_000),
    // Port of /metrics, /healthz and /readyz.
    WHARF_STORAGE_METRICS_PORT: tcpPort.default(9103),
    // A root's usage (for quotas) is counted from disk again when its count is this old, correcting any drift.
    WHARF_STORAGE_USAGE_RECOUNT_MS: durationMs.default(3_600_000),
    // A cut upload is kept this long for a resume (REST + STOR, APPE); 0 keeps none.
    WHARF_STORAGE_PARTIAL_TTL_MS: durationMs.default(86_400_000),
    // For crash tests only: the process kills itself (SIGKILL) at this step of the next commit.
    WHARF_STORAGE_FAILPOINT: z.enum(["before-rename", "after-rename", "after-publish"]).optional(),
  })
  .transform((env) => ({
    ...commonSettings(env),
    backend: env.WHARF_STORAGE_BACKEND,
    dataDir: env.WHARF_DATA_DIR,
    replicas: env.WHARF_STORAGE_REPLICAS ?? env.WHARF_NATS_REPLICAS,
    instanceId: env.WHARF_STORAGE_INSTANCE_ID,
    staleMs: env.WHARF_STORAGE_STALE_MS,
    grpcAddress: env.WHARF_STORAGE_GRPC_ADDRESS,
    grpcTls: grpcTlsFiles(env),
    grantPublicKeyFile: env.WHARF_STORAGE_GRANT_PUBLIC_KEY_FILE,
    metricsPort: env.WHARF_STORAGE_METRICS_PORT,
    uploadIdleTimeoutMs: env.WHARF_STORAGE_UPLOAD_IDLE_TIMEOUT_MS,
    failpoint: env.WHARF_STORAGE_FAILPOINT,
    usageRecountMs: env.WHARF_STORAGE_USAGE_RECOUNT_MS,
    partialTtlMs: env.WHARF_STORAGE_PARTIAL_TTL_MS,
  }));
export type StorageConfig = z.output<typeof StorageConfig>;
