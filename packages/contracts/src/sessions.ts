import { z } from "zod";

/**
 * One key of the `wharf_sessions` bucket: how many sessions each listener
 * holds for one source address on one port (`ip.<port>.<address>`) or for one
 * user (`user.<name>`). Each listener writes only its own entry, with a lease
 * it renews while it holds sessions: the entry of a listener that died stops
 * counting when its lease runs out.
 */
export const SessionCountRecord = z.object({
  holders: z.record(z.string(), z.object({ count: z.number().int().nonnegative(), leaseUntil: z.number() })),
});
export type SessionCountRecord = z.infer<typeof SessionCountRecord>;

/** KV keys cannot hold ":" (IPv6). */
export const sessionKeys = {
  address: (portAlias: string, address: string) => `ip.${portAlias}.${address.replaceAll(":", "_")}`,
  user: (name: string) => `user.${name}`,
};
