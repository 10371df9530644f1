import { createHash } from "node:crypto";
import { isRevisionConflict, type NatsConnection, openBucket } from "@wharf/bus";
import { buckets, deliveryKey } from "@wharf/contracts";

export interface DeliveryRecord {
  /** delivered: at the partner; dead_lettered: given up (a replay from the dead-letter stream tries again); superseded: a newer version was delivered first. */
  status: "delivered" | "dead_lettered" | "superseded";
  remotePath: string;
  deliveredAt: string;
  attempts: number;
  /** The event's place in the stream (the message that made the delivery); a redelivery of it can then tell its own delivery from a replay's. */
  seq?: number;
  /** The partner's last reply and how the copy was checked (delivered only), for a completed event said again. */
  reply?: string;
  verified?: "size" | "sha256" | "none";
}

/** A claim taken (or not); `interrupted`: an earlier try had got as far as the final name and never finished. */
export type Claim = { granted: false } | { granted: true; interrupted: boolean };

interface ClaimRecord {
  owner: string;
  until: number;
  /** Set just before the file takes its final name at the partner; a finished try removes the whole claim. */
  finalName?: boolean;
}

/**
 * The idempotency keys of deliveries (DESIGN.md §4): pipeline + path +
 * SHA-256 + upload id. A file.stored event delivered again (a redelivery
 * after a crash, a republished commit) finds its delivery and is not sent twice.
 */
export interface Deliveries {
  find(pipeline: string, file: { path: string; sha256: string; uploadId: string }): Promise<DeliveryRecord | undefined>;
  record(pipeline: string, file: { path: string; sha256: string; uploadId: string }, delivery: DeliveryRecord): Promise<void>;
  /**
   * When the newest version of a file this pipeline delivered was stored. An
   * older version whose delivery comes later (its tries failed while a newer
   * one went through) must not replace the newer one at the partner.
   */
  newestDelivered(pipeline: string, file: { root: string; path: string }): Promise<string | undefined>;
  markDelivered(pipeline: string, file: { root: string; path: string; storedAt: string }): Promise<void>;
  /**
   * Takes the right to deliver this version, for `leaseMs` (taken again to renew it): false while another
   * instance holds it. JetStream can hand an event to a second instance while the first still works on it
   * (a consumer leader that moved with a lost NATS node does not know the first one's progress); the claim
   * keeps the second from sending the file again.
   */
  claim(pipeline: string, file: { path: string; sha256: string; uploadId: string }, owner: string, leaseMs: number): Promise<Claim>;
  /** Notes in the claim that the file is about to take its final name at the partner: a later try that finds this note looks there first. */
  markFinalName(pipeline: string, file: { path: string; sha256: string; uploadId: string }, owner: string, leaseMs: number): Promise<void>;
  /** Gives the claim up (best effort: it runs out by itself). */
  release(pipeline: string, file: { path: string; sha256: string; uploadId: string }, owner: string): Promise<void>;
}

const newestKey = (pipeline: string, file: { root: string; path: string }) => `newest.${createHash("sha256").update(`${pipeline}\0${file.root}\0${file.path}`).digest("hex")}`;

export async function createDeliveries(nc: NatsConnection, { replicas = 1, now = Date.now }: { replicas?: number; now?: () => number } = {}): Promise<Deliveries> {
  const kv = await openBucket(nc, buckets.deliveries, { replicas });
  const keyOf = deliveryKey;
  return {
    find: async (pipeline, file) => {
      const entry = await kv.get(keyOf(pipeline, file));
      return entry?.operation === "PUT" ? entry.json<DeliveryRecord>() : undefined;
    },
    record: async (pipeline, file, delivery) => {
      await kv.put(keyOf(pipeline, file), JSON.stringify(delivery));
    },
    newestDelivered: async (pipeline, file) => {
      const entry = await kv.get(newestKey(pipeline, file));
      return entry?.operation === "PUT" ? entry.json<{ storedAt: string }>().storedAt : undefined;
    },
    claim: async (pipeline, file, owner, leaseMs) => {
      const key = `claim.${keyOf(pipeline, file)}`;
      const entry = await kv.get(key);
      const held = entry?.operation === "PUT" ? entry.json<ClaimRecord>() : undefined;
      if (held && held.owner !== owner && held.until > now()) return { granted: false };
      // Renewing keeps the note; it tells a try that comes after a crash where the last one got to.
      const interrupted = held?.finalName === true;
      const body = JSON.stringify({ owner, until: now() + leaseMs, ...(interrupted ? { finalName: true } : {}) } satisfies ClaimRecord);
      try {
        if (entry) await kv.update(key, body, entry.revision);
        else await kv.create(key, body);
        return { granted: true, interrupted };
      } catch (error) {
        // Another instance claimed it between the read and the write.
        if (isRevisionConflict(error)) return { granted: false };
        throw error;
      }
    },
    markFinalName: async (pipeline, file, owner, leaseMs) => {
      await kv.put(`claim.${keyOf(pipeline, file)}`, JSON.stringify({ owner, until: now() + leaseMs, finalName: true } satisfies ClaimRecord));
    },
    release: async (pipeline, file, owner) => {
      const key = `claim.${keyOf(pipeline, file)}`;
      const entry = await kv.get(key);
      if (entry?.operation === "PUT" && entry.json<{ owner: string }>().owner === owner) await kv.purge(key, { previousSeq: entry.revision }).catch(() => undefined);
    },
    markDelivered: async (pipeline, file) => {
      const key = newestKey(pipeline, file);
      const entry = await kv.get(key);
      const known = entry?.operation === "PUT" ? entry.json<{ storedAt: string }>().storedAt : undefined;
      if (known === undefined || known < file.storedAt) await kv.put(key, JSON.stringify({ storedAt: file.storedAt }));
    },
  };
}
