import type { KV } from "@nats-io/kv";
import { openBucket } from "@wharf/bus";
import { buckets, EndpointConfig, type SecretRef } from "@wharf/contracts";
import { type Keyring, open, rewrap, SecretsError } from "@wharf/secrets";
import { type ConfigAudit, writeAudited } from "../audit/audited-bucket.js";
import { createConfigAudit } from "../audit/config-audit.js";
import { cliReplicas, connectForCli } from "../ports/apply.js";
import { cliKeyring, describeKeyring } from "./cli-keyring.js";
import { ENDPOINT_SECRET_FIELDS, endpointSecretPlace, secretAt, withSecretAt } from "./endpoint-secrets.js";

const USAGE = "usage: wharf secrets status | wharf secrets rotate";

/** Tries of one entry's compare-and-set before rotate gives up on it (each try reads it again). */
const UPDATE_TRIES = 5;

/**
 * `wharf secrets status`: the sealed secrets of the configuration buckets,
 * counted per key id, and whether this keyring opens each. `wharf secrets
 * rotate`: every sealed secret's data key re-wrapped under the keyring's
 * current key (docs/secrets.md). Neither ever prints a secret.
 */
export async function secretsCommand(args: readonly string[], env: NodeJS.ProcessEnv, out: (line: string) => void, err: (line: string) => void): Promise<number> {
  const sub = args[0];
  if (args.length !== 1 || (sub !== "status" && sub !== "rotate")) {
    err(USAGE);
    return 2;
  }
  const keys = await cliKeyring(env, err);
  if (!keys.ok) return keys.code;
  const { keyring } = keys;
  if (sub === "rotate" && !keyring) {
    err("wharf secrets rotate needs the keyring: set WHARF_SECRETS_KEY_FILE (or WHARF_SECRETS_KEY), the new key first, the old ones after it");
    return 78;
  }
  const nc = await connectForCli(env);
  try {
    const kv = await openBucket(nc, buckets.endpoints, { replicas: cliReplicas(env) });
    out(`keyring: ${describeKeyring(keyring)}`);
    return sub === "status"
      ? await status(kv, keyring, out)
      : await rotateEndpointSecrets(kv, keyring as Keyring, out, err, createConfigAudit(nc, env, "secrets rotate", { replicas: cliReplicas(env) }));
  } finally {
    await nc.close();
  }
}

/** Counts per key id, printed in a stable order (the keyring's keys first, then the others by id). */
class Tally {
  readonly counts = new Map<string, number>();
  add(kid: string, by = 1): void {
    this.counts.set(kid, (this.counts.get(kid) ?? 0) + by);
  }
  merge(other: Tally): void {
    for (const [kid, count] of other.counts) this.add(kid, count);
  }
  get total(): number {
    return [...this.counts.values()].reduce((sum, count) => sum + count, 0);
  }
}

const plural = (count: number) => `${count} sealed secret${count === 1 ? "" : "s"}`;

function orderedKids(keyring: Keyring | undefined, ...tallies: Tally[]): string[] {
  const seen = new Set(tallies.flatMap((tally) => [...tally.counts.keys()]));
  const ring = keyring?.ids ?? [];
  return [...ring.filter((kid) => seen.has(kid)), ...[...seen].filter((kid) => !ring.includes(kid)).sort()];
}

async function status(kv: KV, keyring: Keyring | undefined, out: (line: string) => void): Promise<number> {
  const sealed = new Tally();
  const opening = new Tally();
  let unparsed = 0;
  for await (const key of await kv.keys()) {
    const entry = await kv.get(key);
    if (entry?.operation !== "PUT") continue;
    const parsed = EndpointConfig.safeParse(entry.json());
    if (!parsed.success) {
      unparsed++;
      continue;
    }
    for (const field of ENDPOINT_SECRET_FIELDS) {
      const secret = secretAt<SecretRef>(parsed.data, field)?.sealed;
      if (!secret) continue;
      sealed.add(secret.kid);
      try {
        open(keyring, secret, endpointSecretPlace(parsed.data.name, field));
        opening.add(secret.kid);
      } catch (error) {
        if (!(error instanceof SecretsError)) throw error;
      }
    }
  }
  if (sealed.total === 0) out("no sealed secrets");
  for (const kid of orderedKids(keyring, sealed)) {
    const count = sealed.counts.get(kid) ?? 0;
    const opens = opening.counts.get(kid) ?? 0;
    const role = kid === keyring?.current ? " (current)" : keyring?.has(kid) ? " (older)" : " (not in the keyring)";
    out(`key ${kid}${role}: ${plural(count)}, ${opens === count ? "all open" : `${count - opens} do not open`}`);
  }
  if (unparsed > 0) out(`${unparsed} endpoint(s) do not parse and were not counted (wharf endpoints ls shows them)`);
  const notCurrent = sealed.total - (sealed.counts.get(keyring?.current ?? "") ?? 0);
  if (keyring && notCurrent > 0) out(`${plural(notCurrent)} not under the current key: run wharf secrets rotate`);
  return opening.total === sealed.total && unparsed === 0 ? 0 : 1;
}

/**
 * Re-wraps the sealed secrets of the endpoints bucket under the keyring's
 * current key and prints the counts per key id; 1 when some could not be.
 */
export async function rotateEndpointSecrets(kv: KV, keyring: Keyring, out: (line: string) => void, err: (line: string) => void, audit?: ConfigAudit): Promise<number> {
  const moved = new Tally();
  const current = new Tally();
  const failed = new Tally();
  const problems: string[] = [];
  for await (const key of await kv.keys()) {
    for (let attempt = 1; ; attempt++) {
      const entry = await kv.get(key);
      if (entry?.operation !== "PUT") break;
      const parsed = EndpointConfig.safeParse(entry.json());
      if (!parsed.success) {
        problems.push(`endpoint ${key}: does not parse; not rotated (apply it again)`);
        break;
      }
      // Counted per try, kept only for the one that is written: a concurrent change makes the next try see other secrets.
      const tries = { moved: new Tally(), current: new Tally(), failed: new Tally(), problems: [] as string[] };
      let endpoint = parsed.data;
      for (const field of ENDPOINT_SECRET_FIELDS) {
        const sealed = secretAt<SecretRef>(endpoint, field)?.sealed;
        if (!sealed) continue;
        if (sealed.kid === keyring.current) {
          tries.current.add(sealed.kid);
          continue;
        }
        try {
          endpoint = withSecretAt(endpoint, field, { sealed: rewrap(keyring, sealed, endpointSecretPlace(endpoint.name, field)) });
          tries.moved.add(sealed.kid);
        } catch (error) {
          if (!(error instanceof SecretsError)) throw error;
          tries.failed.add(sealed.kid);
          tries.problems.push(`endpoint ${key}: ${field}: ${error.message}`);
        }
      }
      if (tries.moved.total > 0) {
        try {
          // Compare-and-set: written only over the revision read, so a change made meanwhile (wharf apply) is not undone.
          // Audited like every configuration change: the operator sees which endpoints rotate re-wrote.
          if (audit) await writeAudited(audit, kv, buckets.endpoints, key, JSON.stringify(endpoint), { ifRevision: entry.revision });
          else await kv.update(key, JSON.stringify(endpoint), entry.revision);
        } catch (error) {
          const now = await kv.get(key);
          if (attempt < UPDATE_TRIES && now?.revision !== entry.revision) continue;
          throw error;
        }
      }
      moved.merge(tries.moved);
      current.merge(tries.current);
      failed.merge(tries.failed);
      problems.push(...tries.problems);
      break;
    }
  }
  for (const kid of orderedKids(keyring, moved, current, failed)) {
    if (moved.counts.has(kid)) out(`key ${kid}: ${plural(moved.counts.get(kid) ?? 0)} re-wrapped under ${keyring.current}`);
    if (current.counts.has(kid)) out(`key ${kid} (current): ${plural(current.counts.get(kid) ?? 0)} already under it`);
    if (failed.counts.has(kid)) out(`key ${kid}: ${plural(failed.counts.get(kid) ?? 0)} NOT re-wrapped (the keyring cannot open them)`);
  }
  if (moved.total + current.total + failed.total === 0) out("no sealed secrets");
  for (const problem of problems) err(problem);
  return problems.length === 0 ? 0 : 1;
}
