import { z } from "zod";

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: "must be an environment variable name" });
const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, { message: "must be base64" });

/** A key id of the secrets keyring: the first 16 hex digits of the key's SHA-256 (@wharf/secrets keyId). */
export const KeyId = z.string().regex(/^[0-9a-f]{16}$/, { message: "must be a key id (16 hex digits)" });

/**
 * A secret sealed with the secrets keyring (@wharf/secrets, docs/secrets.md):
 * the secret encrypted under its own data key, the data key wrapped under the
 * keyring key `kid`. This is what the buckets hold for a secret the
 * configuration file gave as `value`; it never holds the secret in the clear.
 */
export const SealedSecret = z.object({ v: z.literal(1), kid: KeyId, dek: base64, iv: base64, ct: base64 }).strict();
export type SealedSecret = z.output<typeof SealedSecret>;

const exactlyOne =
  (fields: readonly string[]) =>
  (ref: Record<string, unknown>): boolean =>
    fields.filter((field) => ref[field] !== undefined).length === 1;

/**
 * A secret as the configuration buckets hold it: by reference (an environment
 * variable of the process that uses it, or a file it can read), or sealed.
 * Never in the clear: `value` is for the configuration file only.
 */
export const SecretRef = z
  .object({
    env: envName.optional(),
    file: z.string().min(1).optional(),
    sealed: SealedSecret.optional(),
  })
  .strict()
  .refine(exactlyOne(["env", "file", "sealed"]), { message: "give exactly one of env, file, sealed" });
export type SecretRef = z.output<typeof SecretRef>;

/** What `wharf config dump` writes in place of a sealed secret; applied, it keeps the secret the bucket holds. */
export function sealedPlaceholder(kid: string): string {
  return `<sealed: ${kid}>`;
}
const PLACEHOLDER = /^<sealed: [0-9a-f]{16}>$/;

/**
 * A secret as the configuration file (`wharf apply -f`) gives it: by
 * reference (env, file), or the secret itself as `value`, which the CLI seals
 * before anything is written, or the `"<sealed: KEY ID>"` placeholder of
 * `wharf config dump`, which keeps the secret already stored at that place.
 */
export const SecretInput = z.union([
  z.string().regex(PLACEHOLDER, { message: 'must be { env }, { file } or { value }; a string only as "<sealed: KEY ID>" (wharf config dump), which keeps the stored secret' }),
  z
    .object({
      env: envName.optional(),
      file: z.string().min(1).optional(),
      value: z.string().min(1).optional(),
    })
    .strict()
    .refine(exactlyOne(["env", "file", "value"]), { message: "give exactly one of env, file, value" }),
]);
export type SecretInput = z.output<typeof SecretInput>;

/** Whether a file's secret is the dump's placeholder: keep the stored one. */
export function isSealedPlaceholder(secret: SecretInput): secret is string {
  return typeof secret === "string";
}
