import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@wharf/bus";
import { BanRecord, banBucketOptions, banKey, buckets } from "@wharf/contracts";

export interface DefenderSettings {
  /** Failed logins from one address within the window that earn a ban; 0 turns the defender off. */
  threshold: number;
  windowMs: number;
  /** The first ban's length; each next one lasts twice as long, up to maxBanMs (at most a day). */
  banMs: number;
  maxBanMs: number;
}

export interface Defender {
  /** Whether the address is banned now. */
  isBanned(address: string): Promise<boolean>;
  /** Counts a failed login; resolves with the ban's end when this failure earned one. */
  recordFailure(address: string): Promise<number | undefined>;
}

/**
 * Scores failed logins per source address (SFTPGo's defender, fail2ban's
 * jail) and bans an address that fails `threshold` times within the window,
 * for a time that doubles with each ban. The scores and bans live in the
 * `wharf_bans` bucket, so every auth instance counts together and every
 * listener refuses a banned address at connect. Updates use the entry's
 * revision, so two instances counting at once do not lose a failure.
 */
export async function createDefender(nc: NatsConnection, settings: DefenderSettings, now: () => number = Date.now): Promise<Defender> {
  // A day after its last change an entry is dropped (the bucket's age limit), so no ban outlasts a day.
  const kv = await new Kvm(nc).create(buckets.bans, banBucketOptions);
  const read = async (address: string) => {
    const entry = await kv.get(banKey(address));
    if (entry?.operation !== "PUT") return { record: undefined, revision: entry?.revision ?? 0 };
    const parsed = BanRecord.safeParse(entry.json());
    return { record: parsed.success ? parsed.data : undefined, revision: entry.revision };
  };
  return {
    async isBanned(address) {
      if (settings.threshold === 0) return false;
      const { record } = await read(address);
      return (record?.bannedUntil ?? 0) > now();
    },
    async recordFailure(address) {
      if (settings.threshold === 0) return undefined;
      for (let attempt = 0; attempt < 5; attempt++) {
        const { record, revision } = await read(address);
        const at = now();
        const fresh = !record || at - record.windowStart > settings.windowMs;
        const next: BanRecord = {
          address,
          failures: (fresh ? 0 : record.failures) + 1,
          windowStart: fresh ? at : record.windowStart,
          bans: record?.bans ?? 0,
          bannedUntil: record?.bannedUntil ?? 0,
        };
        let bannedUntil: number | undefined;
        if (next.failures >= settings.threshold) {
          bannedUntil = at + Math.min(settings.banMs * 2 ** next.bans, settings.maxBanMs);
          next.bans += 1;
          next.bannedUntil = bannedUntil;
          next.failures = 0;
          next.windowStart = at;
        }
        try {
          const body = JSON.stringify(next);
          if (revision === 0) await kv.create(banKey(address), body);
          else await kv.update(banKey(address), body, revision);
          return bannedUntil;
        } catch {
          // Another instance wrote first: read again and count on top of its write.
        }
      }
      return undefined;
    },
  };
}
