import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { KV } from "@nats-io/kv";
import { type BusCredentials, connectBus, natsIdentityDirOf, openBucket, seedFileOf } from "@wharf/bus";
import type { UserStore } from "@wharf/auth";
import { buckets, describeIssues, EndpointConfig, UserRecord, WharfConfigFile } from "@wharf/contracts";
import { probeEndpoint } from "@wharf/outbound";
import { createLogger } from "@wharf/telemetry";
import { parse as parseYaml } from "yaml";
import { type AuditedBucket, createConfigAudit, openAuditedBucket, openAuditedUserStore } from "../audit/config-audit.js";
import { cliKeyring } from "../secrets/cli-keyring.js";
import { sealEndpoints } from "../secrets/endpoint-secrets.js";

/** Where the CLI finds NATS: WHARF_NATS_URL, then NATS_URL, then the one `wharf start` runs. */
export function cliNatsUrl(env: NodeJS.ProcessEnv): string {
  return env.WHARF_NATS_URL || env.NATS_URL || "nats://127.0.0.1:14222";
}

/** Copies of a bucket the CLI creates when it is the first to need it (WHARF_NATS_REPLICAS, as the services use). */
export function cliReplicas(env: NodeJS.ProcessEnv): number {
  const replicas = Number(env.WHARF_NATS_REPLICAS ?? 1);
  return Number.isInteger(replicas) && replicas >= 1 && replicas <= 5 ? replicas : 1;
}

/**
 * The CLI's NATS credentials: the admin identity. WHARF_NATS_NKEY_FILE (or a folder of seeds, or a user and
 * password file) when set; otherwise the admin seed `wharf start` made under its data folder, so that on the
 * machine that runs it `wharf users ls` just works; otherwise none (a NATS that takes anonymous clients).
 */
export function cliCredentials(env: NodeJS.ProcessEnv): BusCredentials {
  const tls = env.WHARF_NATS_TLS_CA_FILE ? { caFile: env.WHARF_NATS_TLS_CA_FILE, certFile: env.WHARF_NATS_TLS_CERT_FILE, keyFile: env.WHARF_NATS_TLS_KEY_FILE } : undefined;
  const given = env.WHARF_NATS_NKEY_FILE || env.WHARF_NATS_IDENTITY_DIR || env.WHARF_NATS_USER;
  const startSeed = seedFileOf(natsIdentityDirOf(resolve(env.WHARF_DATA_DIR || "data")), "admin");
  return {
    nkeyFile: env.WHARF_NATS_NKEY_FILE || (!given && existsSync(startSeed) ? startSeed : undefined),
    identityDir: env.WHARF_NATS_IDENTITY_DIR || undefined,
    user: env.WHARF_NATS_USER || undefined,
    passwordFile: env.WHARF_NATS_PASSWORD_FILE || undefined,
    tls,
  };
}

/** Thrown when the CLI cannot reach NATS or is refused: says what to do, without a stack. */
export class CliConnectError extends Error {
  override name = "CliConnectError";
}

export async function connectForCli(env: NodeJS.ProcessEnv) {
  const url = cliNatsUrl(env);
  try {
    return await connectBus({ url, name: "wharf-cli", identity: "admin", credentials: cliCredentials(env) }, createLogger({ service: "wharf-cli", level: "silent" }));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const refused = /authoriz|authentic|permission/i.test(message);
    throw new CliConnectError(
      refused
        ? `NATS at ${url} refused the CLI (${message}): give the admin identity's seed with WHARF_NATS_NKEY_FILE (wharf nats init makes it; wharf start keeps it in <data>/nats-identities/admin.nk)`
        : `cannot connect to NATS at ${url}: ${message} (set WHARF_NATS_URL to where Wharf's NATS runs)`,
    );
  }
}

/** Reads and validates a configuration file; every problem is listed with its place in the file. */
export async function readConfigFile(path: string): Promise<{ ok: true; config: WharfConfigFile; sections: ReadonlySet<string> } | { ok: false; problems: string[] }> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    return { ok: false, problems: [`cannot read the file: ${(error as NodeJS.ErrnoException).code ?? String(error)}`] };
  }
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    return { ok: false, problems: [`not valid YAML: ${(error as Error).message.split("\n")[0]}`] };
  }
  const parsed = WharfConfigFile.safeParse(document ?? {});
  // Which sections the file has: one it leaves out is not applied (see applyCommand).
  const sections = new Set(document && typeof document === "object" ? Object.keys(document) : []);
  return parsed.success ? { ok: true, config: parsed.data, sections } : { ok: false, problems: describeIssues(parsed.error) };
}

/**
 * Creates or updates the users listed. A user written without passwordHash
 * keeps the one it has (passwords never appear in the file in the clear).
 * Users not in the file are left alone: they may be managed with `wharf users`.
 */
async function applyUsers(users: readonly UserRecord[], store: UserStore, out: (line: string) => void): Promise<void> {
  for (const user of users) {
    const existing = await store.get(user.name);
    const passwordHash = user.passwordHash ?? existing?.passwordHash;
    // Parsed again so the field order is the stored one, and "unchanged" compares like with like.
    const record = UserRecord.parse({ ...user, ...(passwordHash ? { passwordHash } : {}) });
    if (existing && JSON.stringify(existing) === JSON.stringify(record)) {
      out(`user ${user.name}: unchanged`);
      continue;
    }
    await store.put(record);
    out(`user ${user.name}: ${existing ? "updated" : "created"}${passwordHash ? "" : " (no password: logs in only with a cert-only certificate)"}`);
  }
}

/** The endpoints the bucket holds, by name (their sealed secrets are kept when the file says "<sealed: KEY ID>"). */
async function storedEndpoints(kv: KV): Promise<Map<string, EndpointConfig>> {
  const stored = new Map<string, EndpointConfig>();
  for await (const key of await kv.keys()) {
    const entry = await kv.get(key);
    const parsed = entry?.operation === "PUT" ? EndpointConfig.safeParse(entry.json()) : undefined;
    if (parsed?.success) stored.set(key, parsed.data);
  }
  return stored;
}

/**
 * Makes a bucket hold exactly `items` (key, value): new and changed keys are
 * written, keys not among them removed, each reported as `<kind> <key>: …`.
 */
async function replaceBucket(kv: AuditedBucket, kind: string, items: Array<[string, unknown]>, out: (line: string) => void): Promise<string[]> {
  const changed: string[] = [];
  const existing = new Map<string, string>();
  for await (const key of await kv.keys()) {
    const entry = await kv.get(key);
    if (entry?.operation === "PUT") existing.set(key, entry.string());
  }
  const wanted = new Set<string>();
  for (const [key, value] of items) {
    wanted.add(key);
    const body = JSON.stringify(value);
    if (existing.get(key) === body) {
      out(`${kind} ${key}: unchanged`);
      continue;
    }
    await kv.put(key, body);
    changed.push(key);
    out(`${kind} ${key}: ${existing.has(key) ? "updated" : "created"}`);
  }
  for (const key of existing.keys()) {
    if (wanted.has(key)) continue;
    await kv.delete(key);
    out(`${kind} ${key}: removed`);
  }
  return changed;
}

/**
 * `wharf apply -f FILE`: the file describes every port, endpoint and pipeline, and users to create or update.
 * Ports, endpoints and pipelines in the file are written to their buckets (services apply them within
 * seconds); ones in a bucket but not in the file are removed. Nothing is written unless the whole file
 * is valid. Secrets given as `value` are sealed with the keyring (WHARF_SECRETS_KEY_FILE) first: the
 * buckets never hold them in the clear (docs/secrets.md).
 */
export async function applyCommand(file: string | undefined, env: NodeJS.ProcessEnv, out: (line: string) => void, err: (line: string) => void): Promise<number> {
  if (!file) {
    err("usage: wharf apply -f FILE (a YAML file with lists of ports, users, endpoints and pipelines)");
    return 2;
  }
  const result = await readConfigFile(file);
  if (!result.ok) {
    err(`${file} is not valid; nothing was applied:`);
    for (const problem of result.problems) err(`  ${problem}`);
    return 1;
  }
  const keys = await cliKeyring(env, err);
  if (!keys.ok) return keys.code;
  const nc = await connectForCli(env);
  try {
    const { config, sections } = result;
    const outbound = ["endpoints", "pipelines", "pulls"].some((section) => sections.has(section));
    let sealed: EndpointConfig[] = [];
    if (outbound) {
      const stored = await storedEndpoints(await openBucket(nc, buckets.endpoints, { replicas: cliReplicas(env) }));
      const prepared = sealEndpoints(config.endpoints, stored, keys.keyring);
      if (!prepared.ok) {
        err(`${file}: nothing was applied:`);
        for (const problem of prepared.problems) err(`  ${problem}`);
        return 1;
      }
      sealed = prepared.endpoints;
    }
    // Every write below is audited: a config.changed event each, or the command stops (audit/audited-bucket.ts).
    const audit = createConfigAudit(nc, env, "apply", { replicas: cliReplicas(env) });
    // A section the file has replaces what the bucket holds; one it leaves out is left alone, so a file
    // of users does not remove the ports. The outbound sections go together: pipelines and pulls name
    // endpoints of the same file.
    if (sections.has("ports")) await replaceBucket(await openAuditedBucket(nc, buckets.ports, audit, { replicas: cliReplicas(env) }), "port", config.ports.map((port) => [port.alias, port]), out);
    let endpoints: string[] = [];
    if (outbound) {
      endpoints = await replaceBucket(await openAuditedBucket(nc, buckets.endpoints, audit, { replicas: cliReplicas(env) }), "endpoint", sealed.map((endpoint) => [endpoint.name, endpoint]), out);
      await replaceBucket(await openAuditedBucket(nc, buckets.pipelines, audit, { replicas: cliReplicas(env) }), "pipeline", config.pipelines.map((pipeline) => [pipeline.name, pipeline]), out);
      await replaceBucket(await openAuditedBucket(nc, buckets.pulls, audit, { replicas: cliReplicas(env) }), "pull", config.pulls.map((pull) => [pull.name, pull]), out);
    }
    await applyUsers(config.users, await openAuditedUserStore(nc, audit, { replicas: cliReplicas(env) }), out);
    // New and changed endpoints are tried once, as `wharf endpoints validate` does: what they show is
    // reported, and applied either way (a partner may be down today).
    for (const endpoint of sealed.filter((candidate) => endpoints.includes(candidate.name))) {
      const report = await probeEndpoint(endpoint, { keyring: keys.keyring, env });
      for (const line of report.lines.filter((line) => !line.ok)) out(`endpoint ${endpoint.name}: check ${line.check} failed: ${line.detail}`);
      for (const suggestion of report.suggestions) out(`endpoint ${endpoint.name}: suggest ${suggestion}`);
      out(`endpoint ${endpoint.name}: ${report.ok ? "reachable, deliveries can work" : "deliveries would fail now (wharf endpoints validate shows every check)"}`);
    }
    return 0;
  } finally {
    await nc.close();
  }
}
