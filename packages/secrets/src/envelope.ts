import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { KEY_BYTES, type Keyring, keyOf } from "./keyring.js";

/**
 * A secret as the configuration buckets hold it (envelope encryption):
 * - `ct`: the secret, AES-256-GCM under a data key (DEK) made for it alone,
 *   with nonce `iv`; the 16-byte tag follows the ciphertext.
 * - `dek`: that data key, AES-256-GCM under the keyring's key `kid` (the key
 *   encryption key): a 12-byte nonce, the 32 encrypted bytes, the tag.
 * All base64. Rotating a key re-wraps the 60 bytes of `dek` and leaves `ct`
 * alone, so a rotation never needs the secrets in the clear, and touches
 * every secret in the same few bytes whatever their size.
 */
export interface SealedSecret {
  v: 1;
  kid: string;
  dek: string;
  iv: string;
  ct: string;
}

export type SecretsErrorCode = "WHARF_SECRETS_NO_KEYRING" | "WHARF_SECRETS_UNKNOWN_KEY" | "WHARF_SECRETS_UNREADABLE";

/** A sealed secret that cannot be opened here; no retry changes that, only the keyring or the configuration. */
export class SecretsError extends Error {
  override name = "SecretsError";

  constructor(
    readonly code: SecretsErrorCode,
    message: string,
    /** The key the secret names. */
    readonly kid: string | undefined,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

const ALGORITHM = "aes-256-gcm";
const IV_BYTES = 12;
const TAG_BYTES = 16;

// The additional authenticated data binds each layer to where the secret lives (its bucket, key and field,
// e.g. "wharf_endpoints/acme/password"): a sealed value copied to another endpoint, or from the password to
// the client key, fails its tag instead of opening as that endpoint's secret. The wrapped DEK is also bound
// to its key id, and both layers to the format version, so none of them can be swapped for another.
const valueAad = (aad: string) => Buffer.from(`wharf-secret/v1\0${aad}`, "utf8");
const wrapAad = (kid: string, aad: string) => Buffer.from(`wharf-dek/v1\0${kid}\0${aad}`, "utf8");

function encrypt(key: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): { iv: Buffer; sealed: Buffer } {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(ALGORITHM, key, iv).setAAD(aad);
  return { iv, sealed: Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]) };
}

/** Throws (the tag does not match) when the key, the data or the place is not the one it was sealed with. */
function decrypt(key: Uint8Array, iv: Uint8Array, sealed: Buffer, aad: Uint8Array): Buffer {
  const decipher = createDecipheriv(ALGORITHM, key, iv).setAAD(aad);
  decipher.setAuthTag(sealed.subarray(sealed.byteLength - TAG_BYTES));
  return Buffer.concat([decipher.update(sealed.subarray(0, sealed.byteLength - TAG_BYTES)), decipher.final()]);
}

function wrapKey(keyring: Keyring, dek: Uint8Array, aad: string): { kid: string; dek: string } {
  const kid = keyring.current;
  const { iv, sealed } = encrypt(keyOf(keyring, kid) as Buffer, dek, wrapAad(kid, aad));
  return { kid, dek: Buffer.concat([iv, sealed]).toString("base64") };
}

function unwrapKey(keyring: Keyring | undefined, sealed: SealedSecret, aad: string): Buffer {
  if (!keyring) {
    throw new SecretsError("WHARF_SECRETS_NO_KEYRING", `the secret at ${aad} is sealed (key ${sealed.kid}), and no keyring is configured here: set WHARF_SECRETS_KEY_FILE or WHARF_SECRETS_KEY`, sealed.kid);
  }
  const kek = keyOf(keyring, sealed.kid);
  if (!kek) {
    throw new SecretsError(
      "WHARF_SECRETS_UNKNOWN_KEY",
      `the secret at ${aad} is sealed with key ${sealed.kid}, which the keyring lacks (it holds ${keyring.ids.join(", ")}): add that key to WHARF_SECRETS_KEY_FILE or WHARF_SECRETS_KEY`,
      sealed.kid,
    );
  }
  const wrapped = Buffer.from(sealed.dek, "base64");
  if (sealed.v !== 1 || wrapped.byteLength !== IV_BYTES + KEY_BYTES + TAG_BYTES) throw unreadable(sealed, aad);
  try {
    return decrypt(kek, wrapped.subarray(0, IV_BYTES), wrapped.subarray(IV_BYTES), wrapAad(sealed.kid, aad));
  } catch (error) {
    throw unreadable(sealed, aad, error);
  }
}

function unreadable(sealed: SealedSecret, aad: string, cause?: unknown): SecretsError {
  return new SecretsError(
    "WHARF_SECRETS_UNREADABLE",
    `the secret at ${aad} (key ${sealed.kid}) does not open: it was sealed for another place, or altered; give it again`,
    sealed.kid,
    cause === undefined ? undefined : { cause },
  );
}

/**
 * Seals a secret for one place (`aad`, e.g. "wharf_endpoints/acme/password")
 * under the keyring's current key: a fresh data key encrypts the secret, and
 * the current key wraps the data key. Sealing the same secret twice gives two
 * different results.
 */
export function seal(keyring: Keyring, plaintext: string, aad: string): SealedSecret {
  const dek = randomBytes(KEY_BYTES);
  try {
    const { iv, sealed } = encrypt(dek, Buffer.from(plaintext, "utf8"), valueAad(aad));
    return { v: 1, ...wrapKey(keyring, dek, aad), iv: iv.toString("base64"), ct: sealed.toString("base64") };
  } finally {
    dek.fill(0);
  }
}

/**
 * Opens a sealed secret where it lives (`aad` as it was sealed). A missing
 * keyring, a key the keyring lacks, or a secret that does not open (altered,
 * or copied from another place) is a SecretsError that says which.
 */
export function open(keyring: Keyring | undefined, sealed: SealedSecret, aad: string): string {
  const dek = unwrapKey(keyring, sealed, aad);
  try {
    const iv = Buffer.from(sealed.iv, "base64");
    const ct = Buffer.from(sealed.ct, "base64");
    if (iv.byteLength !== IV_BYTES || ct.byteLength < TAG_BYTES) throw unreadable(sealed, aad);
    return decrypt(dek, iv, ct, valueAad(aad)).toString("utf8");
  } catch (error) {
    throw error instanceof SecretsError ? error : unreadable(sealed, aad, error);
  } finally {
    dek.fill(0);
  }
}

/**
 * The same secret with its data key wrapped under the keyring's current key
 * (`wharf secrets rotate`); the ciphertext is kept as it is. A secret already
 * under the current key is returned unchanged. Throws as open does when its
 * key is not on the ring.
 */
export function rewrap(keyring: Keyring, sealed: SealedSecret, aad: string): SealedSecret {
  if (sealed.kid === keyring.current) return sealed;
  const dek = unwrapKey(keyring, sealed, aad);
  try {
    return { ...sealed, ...wrapKey(keyring, dek, aad) };
  } finally {
    dek.fill(0);
  }
}

/** Where a secret lives, as its additional authenticated data: bucket, key and field ("wharf_endpoints/acme/password"). */
export function secretPlace(bucket: string, key: string, field: string): string {
  return `${bucket}/${key}/${field}`;
}
