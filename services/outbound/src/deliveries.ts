import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@wharf/bus";
import { buckets, deliveryKey } from "@wharf/contracts";

export interface DeliveryRecord {
  /** delivered: at the partner; dead_lettered: given up (a replay from the dead-letter stream tries again). */
  status: "delivered" | "dead_lettered";
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
}

export async function createDeliveries(nc: NatsConnection): Promise<Deliveries> {
  const kv = await new Kvm(nc).create(buckets.deliveries, { history: 1 });
  const keyOf = deliveryKey;
  return {
    find: async (pipeline, file) => {
      const entry = await kv.get(keyOf(pipeline, file));
      return entry?.operation === "PUT" ? entry.json<DeliveryRecord>() : undefined;
    },
    record: async (pipeline, file, delivery) => {
      await kv.put(keyOf(pipeline, file), JSON.stringify(delivery));
    },
  };
}
