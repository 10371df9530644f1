/**
 * Issue 9: TLS to NATS when configured. A nats-server that requires TLS (and client certificates) and Wharf's
 * identities: a service connects with the CA, its certificate and its nkey; without the CA, or without a
 * client certificate, it is refused.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { after, before, test } from "node:test";
import { jetstreamManager } from "@nats-io/jetstream";
import { type BusCredentials, connectBus, type NatsServerProcess, startNatsServerProcess, writeNatsAuthorization } from "@wharf/bus";
import { createLogger } from "@wharf/telemetry";
import { getFreePort, makeTestCertificates, type TestCertificates } from "@wharf/testing";

let dir: string;
let certs: TestCertificates;
let identities: string;
let server: NatsServerProcess;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "wharf-nats-tls-"));
  certs = await makeTestCertificates(join(dir, "certs"));
  identities = join(dir, "identities");
  const authorization = await writeNatsAuthorization(identities);
  const config = join(dir, "nats.conf");
  const port = await getFreePort();
  await writeFile(
    config,
    [
      `listen: "127.0.0.1:${port}"`,
      `jetstream { store_dir: ${JSON.stringify(join(dir, "store"))} }`,
      `tls { cert_file: ${JSON.stringify(certs.serverCertFile)}, key_file: ${JSON.stringify(certs.serverKeyFile)}, ca_file: ${JSON.stringify(certs.caCertFile)}, verify: true }`,
      // nats-server reads an include relative to the including file's folder.
      `include ${JSON.stringify(relative(dir, authorization))}`,
      "",
    ].join("\n"),
  );
  server = await startNatsServerProcess({ storeDir: "", port, configFile: config });
});

after(async () => {
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

const connectAs = (credentials: BusCredentials) =>
  // A TLS 1.3 server refuses a missing client certificate only after the handshake: the client learns it when
  // the connection closes, or at its connect timeout.
  connectBus({ url: `tls://127.0.0.1:${server.port}`, name: "tls-test", identity: "outbound", credentials, connectTimeoutMs: 3_000 }, createLogger({ service: "tls-test", level: "silent" }));

test("with the CA, a client certificate and its nkey, a service reaches JetStream over TLS", async () => {
  const nc = await connectAs({ identityDir: identities, tls: { caFile: certs.caCertFile, certFile: certs.clientCertFile, keyFile: certs.clientKeyFile } });
  try {
    const info = await (await jetstreamManager(nc)).getAccountInfo();
    assert.ok(info.limits, "JetStream answered");
  } finally {
    await nc.close();
  }
});

test("without the server's CA, or without a client certificate, or without its nkey, the connection is refused", async () => {
  const attempts: [string, BusCredentials][] = [
    ["no CA", { identityDir: identities }],
    ["no client certificate", { identityDir: identities, tls: { caFile: certs.caCertFile } }],
    ["no nkey", { tls: { caFile: certs.caCertFile, certFile: certs.clientCertFile, keyFile: certs.clientKeyFile } }],
  ];
  for (const [what, credentials] of attempts) {
    const nc = await connectAs(credentials).then(
      (connection) => connection,
      () => undefined,
    );
    if (nc) await nc.close();
    assert.equal(nc, undefined, `${what}: connected`);
  }
});
