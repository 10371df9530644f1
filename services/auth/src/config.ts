import { commonEnv, commonSettings, tcpPort } from "@wharf/config";
import { z } from "zod";

export const AuthConfig = z
  .object({
    ...commonEnv,
    // Port of /metrics, /healthz and /readyz.
    WHARF_AUTH_METRICS_PORT: tcpPort.default(9102),
    // argon2id cost for new password hashes (memory in KiB, passes, lanes).
    WHARF_ARGON2_MEMORY_KIB: z.coerce.number().int().min(8_192).max(4_194_304).default(19_456),
    WHARF_ARGON2_PASSES: z.coerce.number().int().min(1).max(64).default(2),
    WHARF_ARGON2_PARALLELISM: z.coerce.number().int().min(1).max(64).default(1),
  })
  .transform((env) => ({
    ...commonSettings(env),
    metricsPort: env.WHARF_AUTH_METRICS_PORT,
    argon2: { memoryKiB: env.WHARF_ARGON2_MEMORY_KIB, passes: env.WHARF_ARGON2_PASSES, parallelism: env.WHARF_ARGON2_PARALLELISM },
  }));
export type AuthConfig = z.output<typeof AuthConfig>;
