import { commonEnv, commonSettings, durationMs, hostPort, tcpPort } from "@wharf/config";
import { z } from "zod";

export const StorageConfig = z
  .object({
    ...commonEnv,
    // Folder that holds files/ (committed files per root) and uploads/ (in progress).
    WHARF_DATA_DIR: z.string().min(1).default("data"),
    // Address the gRPC server binds, host:port.
    WHARF_STORAGE_GRPC_ADDRESS: hostPort.default("127.0.0.1:50151"),
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
    dataDir: env.WHARF_DATA_DIR,
    grpcAddress: env.WHARF_STORAGE_GRPC_ADDRESS,
    metricsPort: env.WHARF_STORAGE_METRICS_PORT,
    uploadIdleTimeoutMs: env.WHARF_STORAGE_UPLOAD_IDLE_TIMEOUT_MS,
    failpoint: env.WHARF_STORAGE_FAILPOINT,
    usageRecountMs: env.WHARF_STORAGE_USAGE_RECOUNT_MS,
    partialTtlMs: env.WHARF_STORAGE_PARTIAL_TTL_MS,
  }));
export type StorageConfig = z.output<typeof StorageConfig>;
