import { z } from "zod";

/**
 * What the brute-force defender knows of one source address, in the
 * `wharf_bans` bucket (key: the address, with ":" written as "_" for IPv6),
 * so that every auth and listener instance sees the same bans.
 */
export const BanRecord = z.object({
  address: z.string().min(1),
  /** Failed logins in the current window. */
  failures: z.number().int().nonnegative(),
  /** When the current window of failures started (ms since the epoch). */
  windowStart: z.number(),
  /** How many times this address was banned; each ban lasts twice the one before. */
  bans: z.number().int().nonnegative(),
  /** The address is refused until this time (ms since the epoch); 0 when not banned. */
  bannedUntil: z.number(),
});
export type BanRecord = z.infer<typeof BanRecord>;

/** The KV key of an address (KV keys cannot hold ":"). */
export const banKey = (address: string) => address.replaceAll(":", "_");
