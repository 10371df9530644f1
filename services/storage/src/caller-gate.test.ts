import assert from "node:assert/strict";
import type { PeerCertificate } from "node:tls";
import { test } from "node:test";
import { Metadata } from "@grpc/grpc-js";
import { createGrantVerifier, GRANT_METADATA_KEY, grantSigningKey, grantVerifyingKey, signGrant, WharfError } from "@wharf/contracts";
import { generateKeyPairSync } from "node:crypto";
import { createCallerGate, type GatedCall } from "./caller-gate.js";

// Unit test: the peer certificate and metadata are stand-ins; test/e2e/storage-mtls.e2e.test.ts calls a real storage over mutual TLS.
const keys = generateKeyPairSync("ed25519");
const signing = grantSigningKey(keys.privateKey.export({ type: "pkcs8", format: "pem" }).toString());
const verifyGrant = createGrantVerifier(grantVerifyingKey(keys.publicKey.export({ type: "spki", format: "pem" }).toString()));
const call = (commonName: string | undefined, grant?: string): GatedCall => {
  const metadata = new Metadata();
  if (grant) metadata.set(GRANT_METADATA_KEY, grant);
  return { getAuthContext: () => (commonName === undefined ? {} : { sslPeerCertificate: { subject: { CN: commonName } } as PeerCertificate }), metadata };
};
const denied = (run: () => void, reason: RegExp) =>
  assert.throws(run, (error: unknown) => error instanceof WharfError && error.code === "WHARF_PERMISSION_DENIED" && reason.test(error.message));

test("a certificate whose common name is no caller's role is refused, and so is none", () => {
  const gate = createCallerGate({ mutualTls: true, verifyGrant });
  denied(() => gate(call("partner"), "acme"), /"partner" may not call storage/);
  denied(() => gate(call("wharf-storage"), "acme"), /"wharf-storage" may not call storage/);
  denied(() => gate(call(undefined), "acme"), /"" may not call storage/);
});

test("outbound acts on any root; the listener on its grant's root, as its user, only", () => {
  const gate = createCallerGate({ mutualTls: true, verifyGrant });
  gate(call("wharf-outbound"), "acme");
  const grant = signGrant(signing, { user: "acme", root: "acme-home", expiresAt: Date.now() + 60_000 });
  gate(call("wharf-listener", grant), "acme-home", "acme");
  denied(() => gate(call("wharf-listener", grant), "globex"), /another root/);
  denied(() => gate(call("wharf-listener", grant), "acme-home", "mallory"), /another user/);
  denied(() => gate(call("wharf-listener"), "acme-home"), /no session grant/);
  denied(() => gate(call("wharf-listener", `${grant}x`), "acme-home"), /not signed by auth/);
});

test("without mutual TLS the gate lets every call through (and storage warns at start); without a grant key, a listener acts on any root", () => {
  createCallerGate({ mutualTls: false })(call(undefined), "acme");
  createCallerGate({ mutualTls: true })(call("wharf-listener"), "acme");
});

test("a grant's signature is checked once, its expiry every time", () => {
  let now = 1_000;
  const verify = createGrantVerifier(grantVerifyingKey(keys.publicKey.export({ type: "spki", format: "pem" }).toString()), { now: () => now });
  const grant = signGrant(signing, { user: "acme", root: "acme", expiresAt: 2_000 });
  assert.deepEqual(verify(grant), { user: "acme", root: "acme", expiresAt: 2_000 });
  now = 2_000;
  assert.throws(() => verify(grant), /expired/);
});
