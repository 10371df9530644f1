import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { verifyPassword } from "./password-hash.js";

export interface VerifiedPasswordsOptions {
  /** How long a verified password is remembered; 0 turns the cache off. */
  ttlMs: number;
  /** Most users remembered at once; the least recently used is forgotten first. */
  maxEntries: number;
  /** The slow check (argon2id); replaceable in unit tests. */
  verify?: (password: string, phc: string) => Promise<boolean>;
  now?: () => number;
  /** Called with "hit" or "miss" for each lookup (for the metric). */
  onLookup?: (result: "hit" | "miss") => void;
}

export interface VerifiedPasswords {
  /** Whether `password` matches `phc`, the user's stored argon2id hash. */
  verify(user: string, phc: string, password: string): Promise<boolean>;
}

interface Entry {
  /** The stored hash the password was verified against: a new hash (password change) is a miss. */
  phc: string;
  /** HMAC-SHA256 of the password under a key that exists only in this process's memory. */
  digest: Buffer;
  expiresAt: number;
}

/**
 * Remembers passwords that argon2id recently verified, as SFTPGo's
 * password_caching does, so a partner that logs in for every file costs one
 * argon2id (tens of milliseconds of CPU) per TTL instead of one per login.
 * Only successes are remembered, and only as a keyed HMAC (the key is random
 * per process and never leaves it), so the cache holds nothing that could be
 * replayed or cracked offline. A wrong password, a changed hash, an expired
 * or evicted entry all fall back to argon2id; failures always pay full price.
 */
export function createVerifiedPasswords({ ttlMs, maxEntries, verify = verifyPassword, now = Date.now, onLookup }: VerifiedPasswordsOptions): VerifiedPasswords {
  const key = randomBytes(32);
  const entries = new Map<string, Entry>();
  const digestOf = (password: string) => createHmac("sha256", key).update(password).digest();

  return {
    async verify(user, phc, password) {
      if (ttlMs <= 0) return verify(password, phc);
      const entry = entries.get(user);
      const digest = digestOf(password);
      if (entry && entry.phc === phc && entry.expiresAt > now() && timingSafeEqual(entry.digest, digest)) {
        // Most recently used goes last, so eviction takes the oldest first.
        entries.delete(user);
        entries.set(user, entry);
        onLookup?.("hit");
        return true;
      }
      onLookup?.("miss");
      const matches = await verify(password, phc);
      if (matches) {
        entries.delete(user);
        entries.set(user, { phc, digest, expiresAt: now() + ttlMs });
        if (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
      }
      return matches;
    },
  };
}
