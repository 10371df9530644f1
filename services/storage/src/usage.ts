import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@wharf/bus";
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

/**
 * Bytes and files per storage root, in the `wharf_usage` bucket, so every
 * storage instance enforces the same quotas. Changes are revision-checked:
 * two instances committing to one root at once both count. A crash between a
 * file operation and its ledger change can leave the ledger off by that file
 * until the next recount (`recountMs`, an hour by default), which reads the
 * root from disk again.
 */
export async function createUsageLedger(nc: NatsConnection, count: (root: string) => Promise<Usage>, { recountMs = 3_600_000, now = Date.now } = {}): Promise<UsageLedger> {
  const kv = await new Kvm(nc).create(buckets.usage, { history: 1 });
  const read = async (root: string) => {
    const entry = await kv.get(root);
    if (entry?.operation !== "PUT") return { record: undefined, revision: entry?.revision ?? 0 };
    let parsed: UsageRecord | undefined;
    try {
      parsed = UsageRecord.safeParse(entry.json()).data;
    } catch {
      parsed = undefined;
    }
    return { record: parsed, revision: entry.revision };
  };
  const write = async (root: string, record: UsageRecord, revision: number) => {
    const body = JSON.stringify(record);
    return revision === 0 ? kv.create(root, body) : kv.update(root, body, revision);
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
      await retrying(async () => {
        const { record, revision } = await read(root);
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
