import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { inspect } from "node:util";
import { open, rewrap, type SealedSecret, SecretsError, seal } from "./envelope.js";
import { Keyring, keyId } from "./keyring.js";

const keyA = randomBytes(32);
const keyB = randomBytes(32);
const ringA = new Keyring([keyA]);
const ringB = new Keyring([keyB]);
const ringBA = new Keyring([keyB, keyA]);
const PLACE = "wharf_endpoints/acme/password";

const fails = (code: string, pattern: RegExp) => (error: unknown) => error instanceof SecretsError && error.code === code && pattern.test(error.message);

test("envelope - a sealed secret opens where it was sealed, and holds no trace of the plaintext", () => {
  const plaintext = "correct horse battery staple ✓";
  const sealed = seal(ringA, plaintext, PLACE);
  assert.deepEqual(Object.keys(sealed).sort(), ["ct", "dek", "iv", "kid", "v"]);
  assert.equal(sealed.v, 1);
  assert.equal(sealed.kid, keyId(keyA));
  assert.equal(open(ringA, sealed, PLACE), plaintext);
  const stored = JSON.stringify(sealed);
  assert.equal(stored.includes(plaintext), false);
  assert.equal(stored.includes(Buffer.from(plaintext).toString("base64")), false);
  assert.equal(stored.includes(keyA.toString("base64")), false, "never the key either");
});

test("envelope - sealing the same secret twice gives different data keys, nonces and ciphertexts", () => {
  const first = seal(ringA, "same", PLACE);
  const second = seal(ringA, "same", PLACE);
  assert.notEqual(first.dek, second.dek);
  assert.notEqual(first.iv, second.iv);
  assert.notEqual(first.ct, second.ct);
});

test("envelope - an empty secret and a long one round-trip", () => {
  assert.equal(open(ringA, seal(ringA, "", PLACE), PLACE), "");
  const pem = `-----BEGIN PRIVATE KEY-----\n${randomBytes(1200).toString("base64")}\n-----END PRIVATE KEY-----\n`;
  assert.equal(open(ringA, seal(ringA, pem, PLACE), PLACE), pem);
});

test("envelope - a sealed secret copied to another place does not open there", () => {
  const sealed = seal(ringA, "s3cret", PLACE);
  assert.throws(() => open(ringA, sealed, "wharf_endpoints/other/password"), fails("WHARF_SECRETS_UNREADABLE", /wharf_endpoints\/other\/password .* does not open/));
  assert.throws(() => open(ringA, sealed, "wharf_endpoints/acme/clientCertificate.key"), fails("WHARF_SECRETS_UNREADABLE", /does not open/));
});

test("envelope - an altered ciphertext, data key or nonce does not open", () => {
  const sealed = seal(ringA, "s3cret", PLACE);
  const flip = (base64: string) => {
    const bytes = Buffer.from(base64, "base64");
    bytes[0] = (bytes[0] ?? 0) ^ 1;
    return bytes.toString("base64");
  };
  for (const field of ["ct", "dek", "iv"] as const) {
    assert.throws(() => open(ringA, { ...sealed, [field]: flip(sealed[field]) }, PLACE), fails("WHARF_SECRETS_UNREADABLE", /does not open/), field);
  }
  assert.throws(() => open(ringA, { ...sealed, ct: "" }, PLACE), fails("WHARF_SECRETS_UNREADABLE", /does not open/));
  assert.throws(() => open(ringA, { ...sealed, v: 2 } as unknown as SealedSecret, PLACE), fails("WHARF_SECRETS_UNREADABLE", /does not open/));
});

test("envelope - a key the keyring lacks is named, with the keys it has", () => {
  const sealed = seal(ringA, "s3cret", PLACE);
  assert.throws(
    () => open(ringB, sealed, PLACE),
    (error: unknown) =>
      error instanceof SecretsError && error.code === "WHARF_SECRETS_UNKNOWN_KEY" && error.kid === keyId(keyA) && error.message.includes(`key ${keyId(keyA)}, which the keyring lacks`) && error.message.includes(keyId(keyB)),
  );
});

test("envelope - no keyring at all says which variables give one", () => {
  assert.throws(() => open(undefined, seal(ringA, "s3cret", PLACE), PLACE), fails("WHARF_SECRETS_NO_KEYRING", /no keyring is configured here: set WHARF_SECRETS_KEY_FILE or WHARF_SECRETS_KEY/));
});

test("envelope - a secret sealed under the older key of a keyring opens; new ones are sealed under its first key", () => {
  assert.equal(open(ringBA, seal(ringA, "old", PLACE), PLACE), "old");
  assert.equal(seal(ringBA, "new", PLACE).kid, keyId(keyB));
});

test("rewrap - moves the data key to the current key and keeps the ciphertext; the old key alone then fails naming the new one", () => {
  const sealed = seal(ringA, "rotate me", PLACE);
  const moved = rewrap(ringBA, sealed, PLACE);
  assert.equal(moved.kid, keyId(keyB));
  assert.equal(moved.ct, sealed.ct, "the secret itself is not encrypted again");
  assert.equal(moved.iv, sealed.iv);
  assert.notEqual(moved.dek, sealed.dek);
  assert.equal(open(ringB, moved, PLACE), "rotate me");
  assert.throws(() => open(ringA, moved, PLACE), fails("WHARF_SECRETS_UNKNOWN_KEY", new RegExp(`key ${keyId(keyB)}, which the keyring lacks`)));
  assert.equal(rewrap(ringBA, moved, PLACE), moved, "already under the current key: unchanged");
});

test("rewrap - binds to the place too, and cannot move a secret it cannot open", () => {
  const sealed = seal(ringA, "s3cret", PLACE);
  assert.throws(() => rewrap(ringBA, sealed, "wharf_endpoints/other/password"), fails("WHARF_SECRETS_UNREADABLE", /does not open/));
  assert.throws(() => rewrap(ringB, sealed, PLACE), fails("WHARF_SECRETS_UNKNOWN_KEY", /which the keyring lacks/));
});

test("keyring - printed, logged or serialized, it shows key ids, never keys", () => {
  const shown = [JSON.stringify(ringBA), inspect(ringBA, { showHidden: true, depth: 10 }), String(Object.values(ringBA))];
  for (const text of shown) {
    assert.equal(text.includes(keyA.toString("base64")), false, text);
    assert.equal(text.includes(keyA.toString("hex")), false, text);
  }
  assert.match(shown[0] as string, new RegExp(`"current":"${keyId(keyB)}"`));
  assert.deepEqual(ringBA.ids, [keyId(keyB), keyId(keyA)]);
});

test("keyring - no key, a short key or the same key twice is refused", () => {
  assert.throws(() => new Keyring([]), /at least one key/);
  assert.throws(() => new Keyring([randomBytes(16)]), /16 bytes, not 32/);
  assert.throws(() => new Keyring([keyA, Buffer.from(keyA)]), /given twice/);
});
