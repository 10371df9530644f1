import type { KeyObject } from "node:crypto";
import { type NatsConnection, type ServedEndpoint, serveRequests } from "@wharf/bus";
import { queueGroups, subjects } from "@wharf/contracts";
import type { Logger } from "@wharf/telemetry";
import { Counter, Histogram, type Registry } from "prom-client";
import { randomBytes } from "node:crypto";
import { createLoginHandler } from "./handlers/login.js";
import { watchPortRoots } from "./port-roots.js";
import { type Argon2Params, hashPassword } from "./password-hash.js";
import { type UserStore, watchCertificateIndex } from "./user-store.js";
import { createVerifiedPasswords } from "./verified-passwords.js";
import { createDefender, type DefenderSettings } from "./defender.js";

export interface AuthServiceDeps {
  nc: NatsConnection;
  store: UserStore;
  log: Logger;
  registry: Registry;
  argon2: Argon2Params;
  /** How long a verified password is remembered (0: never), and for how many users at most. */
  passwordCache?: { ttlMs: number; maxEntries: number };
  /** The brute-force defender; off (threshold 0) unless given. */
  defender?: DefenderSettings;
  /** Copies of the buckets auth creates when they are missing. */
  replicas?: number;
  /** Signs each accepted login's session grant for storage (WHARF_AUTH_GRANT_KEY_FILE). */
  grantKey?: KeyObject | undefined;
}

export interface AuthService {
  subjects(): string[];
  stop(): Promise<void>;
}

/** Wires auth's handlers to their subjects, in the auth queue group. */
export async function createAuthService({ nc, store, log, registry, argon2, passwordCache = { ttlMs: 900_000, maxEntries: 10_000 }, defender: defenderSettings, replicas = 1, grantKey }: AuthServiceDeps): Promise<AuthService> {
  const logins = new Counter({
    name: "wharf_auth_logins_total",
    help: "Login checks answered by auth, by method (password, cert, cert+password) and result (ok, refused).",
    labelNames: ["method", "result"] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: "wharf_auth_login_duration_seconds",
    help: "Time auth took to answer a login (argon2id or the verified-password cache), by result.",
    labelNames: ["result"] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [registry],
  });
  const cacheLookups = new Counter({
    name: "wharf_auth_password_cache_total",
    help: "Password checks of known users, by whether a recent verification answered them (hit) or argon2id ran (miss).",
    labelNames: ["result"] as const,
    registers: [registry],
  });
  const verified = createVerifiedPasswords({ ...passwordCache, onLookup: (result) => cacheLookups.inc({ result }) });
  const bansIssued = new Counter({
    name: "wharf_auth_bans_total",
    help: "Source addresses banned by the brute-force defender.",
    registers: [registry],
  });
  const defender = await createDefender(nc, defenderSettings ?? { threshold: 0, windowMs: 0, banMs: 0, maxBanMs: 0 }, { replicas });
  const certificates = await watchCertificateIndex(nc, { replicas });
  // Only needed to sign grants: which ports give every user one shared root.
  const portRoots = grantKey ? await watchPortRoots(nc, { replicas }) : undefined;
  const decoyHash = await hashPassword(randomBytes(24).toString("base64"), argon2);
  const endpoints: ServedEndpoint[] = [
    serveRequests(nc, {
      subject: subjects.authLogin,
      queue: queueGroups.auth,
      handler: createLoginHandler({ store, certificates, log: log.child({ component: "login" }), nc, logins, latency, decoyHash, verified, defender, bansIssued, grantKey, portRoots }),
      log,
    }),
  ];
  return {
    subjects: () => endpoints.map((endpoint) => endpoint.subject),
    stop: async () => {
      await Promise.all(endpoints.map((endpoint) => endpoint.stop()));
      defender.stop();
      certificates.stop();
      portRoots?.stop();
    },
  };
}
