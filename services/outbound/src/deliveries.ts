import { createHash } from "node:crypto";
import { type NatsConnection, openBucket } from "@wharf/bus";
import { buckets, deliveryKey } from "@wharf/contracts";

export interface DeliveryRecord {
  /** delivered: at the partner; dead_lettered: given up (a replay from the dead-letter stream tries again); superseded: a newer version was delivered first. */
  status: "delivered" | "dead_lettered" | "superseded";
  remotePath: string;
  deliveredAt: string;
  attempts: number;
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
}

const newestKey = (pipeline: string, file: { root: string; path: string }) => `newest.${createHash("sha256").update(`${pipeline}\0${file.root}\0${file.path}`).digest("hex")}`;

export async function createDeliveries(nc: NatsConnection, { replicas = 1 } = {}): Promise<Deliveries> {
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
    markDelivered: async (pipeline, file) => {
      const key = newestKey(pipeline, file);
      const entry = await kv.get(key);
      const known = entry?.operation === "PUT" ? entry.json<{ storedAt: string }>().storedAt : undefined;
      if (known === undefined || known < file.storedAt) await kv.put(key, JSON.stringify({ storedAt: file.storedAt }));
    },
  };
}
