import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@wharf/bus";
import { BanRecord, banBucketOptions, banKey, buckets } from "@wharf/contracts";

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
export async function watchBans(nc: NatsConnection, now: () => number = Date.now): Promise<BanWatch> {
  const kv = await new Kvm(nc).create(buckets.bans, banBucketOptions);
  const until = new Map<string, number>();
  const watch = await kv.watch();
  void (async () => {
    for await (const entry of watch) {
      const parsed = entry.operation === "PUT" ? BanRecord.safeParse(entry.json()) : undefined;
      if (parsed?.success) until.set(entry.key, parsed.data.bannedUntil);
      else until.delete(entry.key);
    }
  })();
  return {
    isBanned: (address) => (until.get(banKey(address)) ?? 0) > now(),
    stop: () => watch.stop(),
  };
}
