import { commonEnv, commonSettings, durationMs, tcpPort } from "@wharf/config";
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
    // How long a password argon2id verified is remembered (as a keyed HMAC, in memory), so repeated logins skip
    // argon2id (SFTPGo's password_caching); 0 turns it off. A password change or a wrong password always re-checks.
    WHARF_AUTH_PASSWORD_CACHE_TTL_MS: durationMs.default(900_000),
    WHARF_AUTH_PASSWORD_CACHE_MAX_USERS: z.coerce.number().int().min(1).default(10_000),
    // Brute-force defender: this many failed logins from one address within the window ban it for the ban time,
    // doubled at each new ban, up to a day (fail2ban's maxretry/findtime/bantime). A threshold of 0 turns it off.
    WHARF_AUTH_BAN_THRESHOLD: z.coerce.number().int().min(0).default(10),
    WHARF_AUTH_BAN_WINDOW_MS: durationMs.default(600_000),
    WHARF_AUTH_BAN_MS: durationMs.default(900_000),
    // The private key (PEM, Ed25519) auth signs session grants with; storage checks them with its public half.
    WHARF_AUTH_GRANT_KEY_FILE: z.string().min(1).optional(),
  })
  .transform((env) => ({
    ...commonSettings(env),
    metricsPort: env.WHARF_AUTH_METRICS_PORT,
    defender: {
      threshold: env.WHARF_AUTH_BAN_THRESHOLD,
      windowMs: env.WHARF_AUTH_BAN_WINDOW_MS,
      banMs: env.WHARF_AUTH_BAN_MS,
      maxBanMs: 86_400_000,
    },
    grantKeyFile: env.WHARF_AUTH_GRANT_KEY_FILE,
    passwordCache: { ttlMs: env.WHARF_AUTH_PASSWORD_CACHE_TTL_MS, maxEntries: env.WHARF_AUTH_PASSWORD_CACHE_MAX_USERS },
    argon2: { memoryKiB: env.WHARF_ARGON2_MEMORY_KIB, passes: env.WHARF_ARGON2_PASSES, parallelism: env.WHARF_ARGON2_PARALLELISM },
  }));
export type AuthConfig = z.output<typeof AuthConfig>;
