import { z } from "zod";

/** User names: what NATS KV accepts as a key, and what an FTP USER line can carry safely. */
export const USER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Names that mean "anonymous" to FTP clients; never valid Wharf users. */
export const ANONYMOUS_NAMES: ReadonlySet<string> = new Set(["anonymous", "ftp"]);

/** A user as stored in the users bucket. The password is only ever stored as an argon2id PHC hash. */
export const UserRecord = z.object({
  name: z.string().regex(USER_NAME),
  passwordHash: z.string().startsWith("$argon2id$"),
  enabled: z.boolean().default(true),
  /** The user's root folder in storage, relative to the storage data folder. */
  home: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/),
});
export type UserRecord = z.infer<typeof UserRecord>;

export function isValidUserName(name: string): boolean {
  return USER_NAME.test(name) && !ANONYMOUS_NAMES.has(name.toLowerCase());
}
