import assert from "node:assert/strict";
import { test } from "node:test";
import { UserRecord, type UserRecordInput } from "@wharf/contracts";
import type { CertificateFacts } from "./certificate-identity.js";
import { judgeCertificate, type LoginAttemptFacts, methodOf, userRuleRefusal } from "./login-decision.js";

const user = (input: Partial<UserRecordInput> = {}) => UserRecord.parse({ name: "partner", home: "partner", ...input });
const facts = (input: Partial<CertificateFacts> = {}): CertificateFacts => ({
  fingerprint: "AB".repeat(32),
  subject: ["CN=partner", "O=Acme"],
  issuer: ["CN=Partner CA"],
  ous: [],
  emails: [],
  dns: [],
  uris: [],
  hasNul: false,
  subjectText: "CN=partner",
  ...input,
});
const attempt = (input: Partial<LoginAttemptFacts> = {}): LoginAttemptFacts => ({
  remoteAddress: "192.0.2.10",
  portAlias: "edge",
  tls: true,
  certificate: undefined,
  certificateRequired: false,
  ...input,
});

test("certificate - no certificate: fine unless the port requires one or the user lists certificates", () => {
  assert.deepEqual(judgeCertificate(user(), attempt(), []), { kind: "none" });
  assert.deepEqual(judgeCertificate(undefined, attempt(), []), { kind: "none" });
  assert.deepEqual(judgeCertificate(user(), attempt({ certificateRequired: true }), []), { kind: "refused", reason: "certificate required" });
  assert.deepEqual(judgeCertificate(user({ certificates: [{ ou: "EDI" }] }), attempt(), []), { kind: "refused", reason: "certificate required" });
});

test("certificate - matches the user's rule; refused when it is another's, or two users claim it, or it has a NUL", () => {
  const mapped = user({ certificates: [{ subject: "O=Acme, CN=partner" }] });
  assert.deepEqual(judgeCertificate(mapped, attempt({ certificate: facts() }), []), { kind: "matches" });
  assert.deepEqual(judgeCertificate(mapped, attempt({ certificate: facts() }), ["other"]), { kind: "refused", reason: "ambiguous certificate mapping" });
  assert.deepEqual(judgeCertificate(user(), attempt({ certificate: facts() }), ["other"]), { kind: "refused", reason: "certificate does not match user" });
  assert.deepEqual(judgeCertificate(user(), attempt({ certificate: facts() }), ["one", "two"]), { kind: "refused", reason: "ambiguous certificate mapping" });
  assert.deepEqual(judgeCertificate(mapped, attempt({ certificate: facts({ hasNul: true }) }), []), { kind: "refused", reason: "certificate has an embedded NUL" });
});

test("certificate - one that maps to no one: the password decides on a request port, not for a user with rules or on a require port", () => {
  const stranger = facts({ subject: ["CN=stranger"] });
  assert.deepEqual(judgeCertificate(user(), attempt({ certificate: stranger }), []), { kind: "none" });
  assert.deepEqual(judgeCertificate(user({ certificates: [{ ou: "EDI" }] }), attempt({ certificate: stranger }), []), { kind: "refused", reason: "certificate does not match user" });
  assert.deepEqual(judgeCertificate(user(), attempt({ certificate: stranger, certificateRequired: true }), []), { kind: "refused", reason: "certificate does not match user" });
  assert.deepEqual(judgeCertificate(undefined, attempt({ certificate: stranger }), []), { kind: "none" });
});

test("user rules - enabled, source address (CIDR, IPv4 and IPv6), port, TLS", () => {
  assert.equal(userRuleRefusal(user(), attempt()), undefined);
  assert.equal(userRuleRefusal(user({ enabled: false }), attempt()), "disabled");
  const from = user({ allowedAddresses: ["192.0.2.0/28", "2001:db8::/32"] });
  assert.equal(userRuleRefusal(from, attempt()), undefined);
  assert.equal(userRuleRefusal(from, attempt({ remoteAddress: "192.0.2.20" })), "address not allowed");
  assert.equal(userRuleRefusal(from, attempt({ remoteAddress: "2001:db8::7" })), undefined);
  assert.equal(userRuleRefusal(from, attempt({ remoteAddress: "unknown" })), "address not allowed");
  assert.equal(userRuleRefusal(user({ allowedPorts: ["inbound"] }), attempt()), "port not allowed");
  assert.equal(userRuleRefusal(user({ tlsRequired: true }), attempt({ tls: false })), "tls required");
});

test("method - what proved the login", () => {
  assert.equal(methodOf({ kind: "none" }, true), "password");
  assert.equal(methodOf({ kind: "matches" }, true), "cert+password");
  assert.equal(methodOf({ kind: "matches" }, false), "cert");
});
