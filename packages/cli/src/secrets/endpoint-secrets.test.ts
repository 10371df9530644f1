import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { type EndpointConfig, EndpointFileConfig, type SealedSecret } from "@wharf/contracts";
import { Keyring, open } from "@wharf/secrets";
import { describeSecret, endpointSecretPlace, sealEndpoints, withPlaceholders } from "./endpoint-secrets.js";

const keyA = randomBytes(32);
const ringA = new Keyring([keyA]);
const ringBA = new Keyring([randomBytes(32), keyA]);
const file = (password: unknown, key?: unknown) =>
  EndpointFileConfig.parse({ name: "acme", host: "h", user: "u", password, ...(key ? { clientCertificate: { certFile: "/c.pem", key } } : {}) });

const sealedOnce = (keyring: Keyring) => {
  const result = sealEndpoints([file({ value: "pw" }, { value: "PEM" })], new Map(), keyring);
  assert.ok(result.ok);
  return result.endpoints[0] as EndpointConfig;
};

test("seal endpoints - values are sealed for their own place; references pass as they are", () => {
  const sealed = sealedOnce(ringA);
  assert.equal(open(ringA, sealed.password?.sealed as SealedSecret, endpointSecretPlace("acme", "password")), "pw");
  assert.equal(open(ringA, sealed.clientCertificate?.key?.sealed as SealedSecret, endpointSecretPlace("acme", "clientCertificate.key")), "PEM");
  const byEnv = sealEndpoints([file({ env: "ACME_PW" })], new Map(), undefined);
  assert.ok(byEnv.ok);
  assert.deepEqual(byEnv.endpoints[0]?.password, { env: "ACME_PW" }, "no keyring needed for references");
});

test("seal endpoints - the same value again keeps the stored sealing; a new value, or a stored one under an older key, is sealed anew", () => {
  const stored = sealedOnce(ringA);
  const same = sealEndpoints([file({ value: "pw" }, { value: "PEM" })], new Map([["acme", stored]]), ringA);
  assert.ok(same.ok);
  assert.deepEqual(same.endpoints[0], stored);
  const changed = sealEndpoints([file({ value: "pw2" })], new Map([["acme", stored]]), ringA);
  assert.ok(changed.ok);
  assert.notDeepEqual(changed.endpoints[0]?.password, stored.password);
  const rotated = sealEndpoints([file({ value: "pw" })], new Map([["acme", stored]]), ringBA);
  assert.ok(rotated.ok);
  assert.equal(rotated.endpoints[0]?.password?.sealed?.kid, ringBA.current, "applied with a new current key: sealed under it");
});

test("seal endpoints - the dump's placeholder keeps the stored secret, and is refused where none is stored; a value needs a keyring", () => {
  const stored = sealedOnce(ringA);
  const shown = withPlaceholders(stored);
  assert.equal(shown.password, `<sealed: ${ringA.current}>`);
  assert.equal(shown.clientCertificate?.key, `<sealed: ${ringA.current}>`);
  const kept = sealEndpoints([EndpointFileConfig.parse(shown)], new Map([["acme", stored]]), undefined);
  assert.ok(kept.ok);
  assert.deepEqual(kept.endpoints[0], stored, "no keyring needed to keep");
  const nothing = sealEndpoints([EndpointFileConfig.parse(shown)], new Map(), ringA);
  assert.ok(!nothing.ok);
  assert.match(nothing.problems[0] ?? "", /^endpoints\[0\]\.password: "<sealed: [0-9a-f]{16}>" keeps the sealed secret stored there, and endpoint acme has none/);
  const keyless = sealEndpoints([file({ value: "pw" })], new Map(), undefined);
  assert.ok(!keyless.ok);
  assert.match(keyless.problems[0] ?? "", /no keyring is configured: set WHARF_SECRETS_KEY_FILE or WHARF_SECRETS_KEY/);
});

test("describe secret - a reference or the key a secret is sealed with, never a value", () => {
  const stored = sealedOnce(ringA);
  assert.equal(describeSecret(stored.password), `sealed (key ${ringA.current})`);
  assert.equal(describeSecret({ env: "PW" }), "env:PW");
  assert.equal(describeSecret({ file: "/run/pw" }), "file:/run/pw");
  assert.equal(describeSecret(undefined), "-");
});
