import { followBucket, type NatsConnection, openBucket } from "@wharf/bus";
import { BanRecord, banKey, buckets } from "@wharf/contracts";

export interface BanWatch {
  /** Whether the address is banned now (answered from memory, kept current by a watch on the bucket). */
  isBanned(address: string): boolean;
  stop(): void;
}

/**
 * Follows the `wharf_bans` bucket that auth's defender writes, so a banned
 * address is refused at connect by every listener, without a NATS round trip
 * per connection.
 */
export async function watchBans(nc: NatsConnection, { replicas = 1, now = Date.now }: { replicas?: number; now?: () => number } = {}): Promise<BanWatch> {
  const kv = await openBucket(nc, buckets.bans, { replicas });
  const until = new Map<string, { bannedUntil: number; revision: number }>();
  const followed = await followBucket(
    kv,
    (json) => BanRecord.safeParse(json).data,
    (key, record, revision) => {
      if ((until.get(key)?.revision ?? 0) < revision) until.set(key, { bannedUntil: record?.bannedUntil ?? 0, revision });
    },
  );
  return {
    isBanned: (address) => (until.get(banKey(address))?.bannedUntil ?? 0) > now(),
    stop: () => followed.stop(),
  };
}
