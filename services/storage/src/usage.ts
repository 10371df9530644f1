import { type NatsConnection, openBucket } from "@wharf/bus";
import { buckets, WharfError } from "@wharf/contracts";
import { z } from "zod";

export interface Usage {
  bytes: number;
  files: number;
}

/** A root's limits; 0 (or absent) means none. */
export interface Quota {
  bytes?: number;
  files?: number;
}

const UsageRecord = z.object({ bytes: z.number().int(), files: z.number().int(), countedAt: z.number().int() });
type UsageRecord = z.infer<typeof UsageRecord>;

export interface UsageLedger {
  /**
   * What the root holds, from the ledger. A root no instance has counted yet,
   * or counted longer ago than the recount interval, is counted from disk first.
   */
  of(root: string): Promise<Usage>;
  /**
   * Adds a change to a root's usage, if the root has been counted (one that
   * has not will be counted from disk, change included, when it is needed).
   * With a quota, a change that grows the root past it is refused with
   * WHARF_QUOTA_EXCEEDED and not recorded.
   */
  change(root: string, delta: Usage, quota?: Quota): Promise<void>;
}

/** A quota that `usage` would pass after growing by `delta` (only growth is refused: a root already over may shrink). */
export function passesQuota(usage: Usage, delta: Usage, quota: Quota | undefined): boolean {
  if (!quota) return false;
  return (delta.bytes > 0 && !!quota.bytes && usage.bytes + delta.bytes > quota.bytes) || (delta.files > 0 && !!quota.files && usage.files + delta.files > quota.files);
}

/** Roots whose last record the ledger remembers (the oldest is forgotten first). */
const KNOWN_ROOTS = 10_000;

/**
 * Bytes and files per storage root, in the `wharf_usage` bucket, so every
 * storage instance enforces the same quotas. Changes are revision-checked:
 * two instances committing to one root at once both count. A crash between a
 * file operation and its ledger change can leave the ledger off by that file
 * until the next recount (`recountMs`, an hour by default), which reads the
 * root from disk again.
 */
export async function createUsageLedger(nc: NatsConnection, count: (root: string) => Promise<Usage>, { recountMs = 3_600_000, now = Date.now, replicas = 1 } = {}): Promise<UsageLedger> {
  const kv = await openBucket(nc, buckets.usage, { replicas });
  /**
   * The last record this instance read or wrote per root, with its revision:
   * a change tries it first and reads the bucket only if another instance
   * wrote since (the revision check tells), one round trip instead of two.
   */
  const known = new Map<string, { record: UsageRecord; revision: number }>();
  const remember = (root: string, record: UsageRecord, revision: number) => {
    known.delete(root);
    known.set(root, { record, revision });
    if (known.size > KNOWN_ROOTS) known.delete(known.keys().next().value as string);
  };
  const read = async (root: string) => {
    const entry = await kv.get(root);
    if (entry?.operation !== "PUT") return { record: undefined, revision: entry?.revision ?? 0 };
    let parsed: UsageRecord | undefined;
    try {
      parsed = UsageRecord.safeParse(entry.json()).data;
    } catch {
      parsed = undefined;
    }
    if (parsed) remember(root, parsed, entry.revision);
    return { record: parsed, revision: entry.revision };
  };
  const write = async (root: string, record: UsageRecord, revision: number) => {
    const body = JSON.stringify(record);
    const written = revision === 0 ? await kv.create(root, body) : await kv.update(root, body, revision);
    remember(root, record, written);
    return written;
  };
  const retrying = async <T>(attempt: () => Promise<T | undefined>): Promise<T> => {
    for (let tries = 0; tries < 8; tries++) {
      const done = await attempt().catch((error: unknown) => {
        if (error instanceof WharfError) throw error;
        return undefined; // another instance wrote first: read again
      });
      if (done !== undefined) return done;
    }
    throw new WharfError("WHARF_UNAVAILABLE", "the usage ledger is too busy; try again");
  };
  return {
    of: (root) =>
      retrying(async () => {
        const { record, revision } = await read(root);
        if (record && now() - record.countedAt < recountMs) return { bytes: record.bytes, files: record.files };
        const counted = await count(root);
        try {
          await write(root, { ...counted, countedAt: now() }, revision);
          return counted;
        } catch (error) {
          // A commit changed the root while it was counted. Without a count yet, count again; with
          // one, go on with it (the recount is tried again next time): a busy root never starves.
          const latest = (await read(root)).record;
          if (!record || !latest) throw error;
          return { bytes: latest.bytes, files: latest.files };
        }
      }),
    change: async (root, delta, quota) => {
      let cached = known.get(root);
      await retrying(async () => {
        // The remembered record first; a refusal is only ever made on a fresh read.
        const remembered = cached && !passesQuota(cached.record, delta, quota) ? cached : undefined;
        cached = undefined;
        const { record, revision } = remembered ?? (await read(root));
        if (!record) return true;
        if (passesQuota(record, delta, quota)) throw new WharfError("WHARF_QUOTA_EXCEEDED", "the upload would pass the quota");
        // Never below zero: a drift (a file removed outside Wharf) must not become room past the quota.
        const next = { bytes: Math.max(0, record.bytes + delta.bytes), files: Math.max(0, record.files + delta.files), countedAt: record.countedAt };
        await write(root, next, revision);
        return true;
      });
    },
  };
}
