import { followBucket, type NatsConnection, openBucket } from "@wharf/bus";
import { BanRecord, banKey, buckets } from "@wharf/contracts";

export interface DefenderSettings {
  /** Failed logins from one address within the window that earn a ban; 0 turns the defender off. */
  threshold: number;
  windowMs: number;
  /** The first ban's length; each next one lasts twice as long, up to maxBanMs (at most a day). */
  banMs: number;
  maxBanMs: number;
}

export interface Defender {
  /** Whether the address is banned now (from memory, kept current by a watch on the bucket). */
  isBanned(address: string): boolean;
  /** Counts a failed login; resolves with the ban's end when this failure earned one. */
  recordFailure(address: string): Promise<number | undefined>;
  stop(): void;
}

/**
 * Scores failed logins per source address (SFTPGo's defender, fail2ban's
 * jail) and bans an address that fails `threshold` times within the window,
 * for a time that doubles with each ban. The scores and bans live in the
 * `wharf_bans` bucket, so every auth instance counts together and every
 * listener refuses a banned address at connect. Updates use the entry's
 * revision, so two instances counting at once do not lose a failure.
 */
export async function createDefender(nc: NatsConnection, settings: DefenderSettings, { replicas = 1, now = Date.now }: { replicas?: number; now?: () => number } = {}): Promise<Defender> {
  // A day after its last change an entry is dropped (the bucket's age limit), so no ban outlasts a day.
  const kv = await openBucket(nc, buckets.bans, { replicas });
  // What every instance wrote, followed live, so checking a login costs no round trip.
  // Each entry keeps its revision: the watch may bring an older write after this instance's newer one.
  const bannedUntil = new Map<string, { until: number; revision: number }>();
  const learn = (key: string, until: number, revision: number) => {
    if ((bannedUntil.get(key)?.revision ?? 0) < revision) bannedUntil.set(key, { until, revision });
  };
  // A removed entry (wharf bans rm) is learnt as "not banned" at its revision.
  const followed = await followBucket(
    kv,
    (json) => BanRecord.safeParse(json).data,
    (key, record, revision) => learn(key, record?.bannedUntil ?? 0, revision),
  );
  const read = async (address: string) => {
    const entry = await kv.get(banKey(address));
    if (entry?.operation !== "PUT") return { record: undefined, revision: entry?.revision ?? 0 };
    const parsed = BanRecord.safeParse(entry.json());
    return { record: parsed.success ? parsed.data : undefined, revision: entry.revision };
  };
  return {
    isBanned: (address) => settings.threshold > 0 && (bannedUntil.get(banKey(address))?.until ?? 0) > now(),
    stop: () => followed.stop(),
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
        let banEnds: number | undefined;
        if (next.failures >= settings.threshold) {
          banEnds = at + Math.min(settings.banMs * 2 ** next.bans, settings.maxBanMs);
          next.bans += 1;
          next.bannedUntil = banEnds;
          next.failures = 0;
          next.windowStart = at;
        }
        try {
          const body = JSON.stringify(next);
          const written = revision === 0 ? await kv.create(banKey(address), body) : await kv.update(banKey(address), body, revision);
          // This instance knows at once; the others when the watch brings it.
          learn(banKey(address), next.bannedUntil, written);
          return banEnds;
        } catch {
          // Another instance wrote first: read again and count on top of its write.
        }
      }
      return undefined;
    },
  };
}
