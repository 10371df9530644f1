import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { makeTestCertificates, startNatsServer } from "../src/index.js";

test("nats-server - starts with JetStream on a free port and stops cleanly", async () => {
  const a = await startNatsServer();
  const b = await startNatsServer();
  try {
    assert.notEqual(a.port, b.port);
    assert.notEqual(a.port, 4222);
    assert.match(a.url, /^nats:\/\/127\.0\.0\.1:\d+$/);
  } finally {
    await a.stop();
    await b.stop();
  }
  assert.notEqual(a.process.exitCode ?? a.process.signalCode, null);
  await assert.rejects(stat(a.storeDir), { code: "ENOENT" });
});

test("certificates - server and client certificates chain to the test CA", async () => {
  const dir = await mkdtemp(join(tmpdir(), "wharf-certs-"));
  try {
    const certs = await makeTestCertificates(dir);
    const ca = new X509Certificate(certs.caCert);
    const server = new X509Certificate(certs.serverCert);
    const client = new X509Certificate(certs.clientCert);
    assert.ok(server.verify(ca.publicKey));
    assert.ok(client.verify(ca.publicKey));
    assert.ok(server.checkIP("127.0.0.1"));
    assert.equal(client.subject, "CN=partner");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
