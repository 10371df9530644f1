import assert from "node:assert/strict";
import { test } from "node:test";
import { createLogger } from "./logger.js";

/** A logger whose lines are kept, parsed. */
function captured() {
  const lines: string[] = [];
  const log = createLogger({ service: "redaction-test", level: "info", destination: { write: (line: string) => lines.push(line) } });
  return { log, lines };
}

test("logger - a password, at the top or inside a logged object, prints [Redacted]", () => {
  const { log, lines } = captured();
  log.info({ user: "alice", password: "hunter2" }, "login");
  log.info({ attempt: { user: "alice", password: "hunter2" } }, "login");
  log.info({ settings: { endpoint: { password: { env: "ACME_PASSWORD" } } } }, "endpoint");
  assert.equal(lines.length, 3);
  assert.equal(JSON.parse(lines[0] as string).password, "[Redacted]");
  assert.equal(JSON.parse(lines[0] as string).user, "alice", "only the secret goes");
  assert.equal(JSON.parse(lines[1] as string).attempt.password, "[Redacted]");
  assert.equal(JSON.parse(lines[2] as string).settings.endpoint.password, "[Redacted]");
  for (const line of lines) assert.ok(!line.includes("hunter2") && !line.includes("ACME_PASSWORD"), line);
});

test("logger - an endpoint logged whole shows neither its sealed password nor its client key; hashes and secrets are redacted too", () => {
  const { log, lines } = captured();
  const sealed = { v: 1, kid: "0123456789abcdef", dek: "d3JhcHBlZC1kZWs=", iv: "bm9uY2U=", ct: "Y2lwaGVydGV4dA==" };
  const endpoint = { name: "acme", password: { sealed }, clientCertificate: { cert: "-----BEGIN CERTIFICATE-----", key: { value: "-----BEGIN PRIVATE KEY-----" } } };
  log.warn({ endpoint }, "endpoint");
  log.info({ user: { name: "bob", passwordHash: "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaGhhc2g" } }, "user");
  log.info({ sealed, request: { secret: "s3cret" } }, "other");
  const [first, second, third] = lines.map((line) => JSON.parse(line));
  assert.equal(first.endpoint.password, "[Redacted]");
  assert.equal(first.endpoint.clientCertificate.key, "[Redacted]");
  assert.equal(first.endpoint.clientCertificate.cert, "-----BEGIN CERTIFICATE-----", "a certificate is not a secret");
  assert.equal(second.user.passwordHash, "[Redacted]");
  assert.equal(third.sealed, "[Redacted]");
  assert.equal(third.request.secret, "[Redacted]");
  const all = lines.join("");
  for (const secret of ["d3JhcHBlZC1kZWs", "Y2lwaGVydGV4dA", "PRIVATE KEY", "$argon2id", "s3cret"]) assert.ok(!all.includes(secret), secret);
});
