import { z } from "zod";
import { normalizeFolder, PERMISSIONS } from "./permissions.js";
import { Cidr, PortAlias } from "./ports.js";

/** User names: what NATS KV accepts as a key, and what an FTP USER line can carry safely. */
export const USER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Names that mean "anonymous" to FTP clients; never valid Wharf users. */
export const ANONYMOUS_NAMES: ReadonlySet<string> = new Set(["anonymous", "ftp"]);

export const HOME_FOLDER = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * One way a client certificate maps to a user (webMethods' certificate map,
 * made richer): a SHA-256 fingerprint pin, the whole subject DN, one OU, or one
 * subjectAltName entry. A user may list several (certificate rollover).
 */
export const CertificateRule = z
  .object({
    /** SHA-256 of the certificate (DER), hex, with or without colons. */
    fingerprint: z
      .string()
      .transform((value) => value.replaceAll(":", "").toUpperCase())
      .refine((value) => /^[0-9A-F]{64}$/.test(value), { message: "must be a SHA-256 fingerprint: 64 hex digits, colons allowed" })
      .optional(),
    /** The subject DN as `openssl x509 -noout -subject -nameopt RFC2253` prints it, e.g. "CN=partner,O=Acme". */
    subject: z.string().min(1).max(1_024).optional(),
    /** An organizational unit in the subject. */
    ou: z.string().min(1).max(256).optional(),
    /** subjectAltName entries. */
    email: z.string().min(3).max(256).optional(),
    dns: z.string().min(1).max(256).optional(),
    uri: z.string().min(1).max(1_024).optional(),
    /**
     * The issuing CA's subject DN: the rule matches only certificates it issued. Any CA of the
     * port's bundle can write any subject, OU or SAN, so with several partners' CAs in one
     * bundle every rule but a fingerprint should name its issuer.
     */
    issuer: z.string().min(1).max(1_024).optional(),
  })
  .strict()
  .superRefine((rule, context) => {
    const { issuer, ...kinds } = rule;
    if (Object.values(kinds).filter((value) => value !== undefined).length !== 1) {
      context.addIssue({ code: "custom", message: "give exactly one of fingerprint, subject, ou, email, dns, uri" });
    }
    if (issuer !== undefined && rule.fingerprint !== undefined) {
      context.addIssue({ code: "custom", path: ["issuer"], message: "a fingerprint names one certificate already; issuer goes with subject, ou, email, dns or uri" });
    }
  });
export type CertificateRule = z.output<typeof CertificateRule>;

/**
 * An argon2id PHC string, with costs a login can afford: a hash imported with
 * a huge memory or pass count would let anyone make auth pay it at will.
 */
const ARGON2ID_HASH = z
  .string()
  .regex(/^\$argon2id\$v=19\$m=(\d{1,7}),t=(\d{1,2}),p=(\d{1,2})\$[A-Za-z0-9+/]{11,}\$[A-Za-z0-9+/]{22,}$/, {
    message: "must be an argon2id PHC string: $argon2id$v=19$m=…,t=…,p=…$salt$hash",
  })
  .refine(
    (hash) => {
      const [, memory, passes, parallelism] = (/m=(\d+),t=(\d+),p=(\d+)/.exec(hash) ?? []).map(Number) as [number, number, number, number];
      return memory >= 8 && memory <= 1_048_576 && passes >= 1 && passes <= 10 && parallelism >= 1 && parallelism <= 16;
    },
    { message: "argon2id costs out of range: m 8-1048576 KiB, t 1-10, p 1-16" },
  );

const permissionName = z.enum([...PERMISSIONS, "*"], { message: `must be one of ${PERMISSIONS.join(", ")} or *` });

/**
 * A user as stored in the users bucket. The password is only ever stored as an
 * argon2id PHC hash; a user without one logs in only with a mapped certificate.
 */
export const UserRecord = z
  .object({
    name: z.string().regex(USER_NAME, { message: "must be 1-64 of A-Z a-z 0-9 . _ - (not starting with . _ -)" }),
    passwordHash: ARGON2ID_HASH.optional(),
    enabled: z.boolean().default(true),
    /** The user's root folder in storage, relative to the storage data folder. */
    home: z.string().regex(HOME_FOLDER, { message: "must be 1-128 of A-Z a-z 0-9 . _ - (not starting with . _ -)" }),
    /** Folder (virtual path) → permissions; the deepest folder containing a path decides. Empty: everything. */
    permissions: z
      .record(z.string().min(1).max(1_024), z.array(permissionName))
      .transform((rules) => Object.fromEntries(Object.entries(rules).map(([folder, granted]) => [normalizeFolder(folder), granted])))
      .default({}),
    /** Source addresses or CIDRs the user may log in from; empty: any. */
    allowedAddresses: z.array(Cidr).default([]),
    /** Port aliases the user may log in on; empty: any. */
    allowedPorts: z.array(PortAlias).default([]),
    /** Refuse the login unless the control connection is TLS-protected. */
    tlsRequired: z.boolean().default(false),
    /** Client certificates that identify this user (several for rollover). */
    certificates: z.array(CertificateRule).max(32).default([]),
    /** With a mapped certificate: does it alone log in ("cert-only"), or is the password still needed ("cert+password")? */
    certificateLogin: z.enum(["cert+password", "cert-only"]).default("cert+password"),
    /** Transfer rate limits in bytes per second; 0: unlimited. */
    uploadBytesPerSecond: z.number().int().min(0).default(0),
    downloadBytesPerSecond: z.number().int().min(0).default(0),
    /** Sessions the user may have open at once, counted across every listener; 0: no limit (SFTPGo's max_sessions). */
    maxSessions: z.number().int().min(0).max(100_000).default(0),
    /** What the user's root may hold; enforced by storage during each upload. Absent: no limit. */
    quota: z
      .object({ bytes: z.number().int().min(1).optional(), files: z.number().int().min(1).optional() })
      .strict()
      .refine((quota) => quota.bytes !== undefined || quota.files !== undefined, { message: "give bytes, files or both" })
      .optional(),
  })
  .strict();
export type UserRecord = z.output<typeof UserRecord>;
/** A user record as written by people (every field with a default may be left out). */
export type UserRecordInput = z.input<typeof UserRecord>;

export function isValidUserName(name: string): boolean {
  return USER_NAME.test(name) && !ANONYMOUS_NAMES.has(name.toLowerCase());
}
