/**
 * npm run probe:inside -- [--data DIR] [--nats URL] [--storage HOST:PORT]
 *
 * Issue 9's check from outside the suite, against a running Wharf (by default the one `npm start` runs from
 * this folder: data/, NATS on 127.0.0.1:14222, storage on 127.0.0.1:50151). Tries what an intruder on the
 * inside would: NATS without credentials, NATS with each service's own seed against subjects it does not own,
 * and storage's gRPC without a certificate, with another CA's, and with the listener's but no grant. Prints
 * one line per attempt and exits 1 if any of them got anything.
 */
import { readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { connect } from "@nats-io/transport-node";
import { connectBus, type NatsConnection } from "@wharf/bus";
import { buckets, createStorageClient, eventTypes, type NatsIdentity, type StorageClient, streams, subjects } from "@wharf/contracts";
import { createLogger } from "@wharf/telemetry";
import { makeTestCertificates } from "@wharf/testing";

const { values } = parseArgs({ options: { data: { type: "string", default: "data" }, nats: { type: "string", default: "nats://127.0.0.1:14222" }, storage: { type: "string", default: "127.0.0.1:50151" } } });
const data = resolve(values.data);
const natsUrl = values.nats;
const storageAddress = values.storage;
let got = 0;

/** Runs an attempt that must be refused; prints REFUSED with the reason, or GOT IN. */
async function attempt(what: string, operation: () => Promise<unknown>): Promise<void> {
  try {
    await operation();
    got += 1;
    process.stdout.write(`GOT IN    ${what}\n`);
  } catch (error) {
    process.stdout.write(`refused   ${what}: ${(error as Error).message.split("\n")[0]}\n`);
  }
}

async function as(identity: NatsIdentity): Promise<NatsConnection> {
  return connectBus({ url: natsUrl, name: `probe-as-${identity}`, identity, credentials: { identityDir: join(data, "nats-identities") }, connectTimeoutMs: 5_000 }, createLogger({ service: "probe", level: "silent" }));
}

await attempt("NATS without credentials", async () => (await connect({ servers: natsUrl, reconnect: false, timeout: 5_000 })).close());

const listener = await as("listener");
await attempt("as listener: read the users (password hashes)", async () => (await new Kvm(listener).open(buckets.users)).get("demo"));
await attempt("as listener: add a port", async () => (await new Kvm(listener).open(buckets.ports)).put("probe", JSON.stringify({ alias: "probe" })));
await attempt("as listener: announce a file (file.stored)", () => jetstream(listener, { timeout: 5_000 }).publish(subjects.fileStored, JSON.stringify({ type: eventTypes.fileStored, path: "/probe" })));
await attempt("as listener: read the object store's files", async () => (await jetstreamManager(listener, { timeout: 5_000 })).streams.info(`OBJ_${buckets.objects}`));
await attempt("as listener: copy the users into the ports' stream (stream update with sources)", async () => {
  const jsm = await jetstreamManager(listener, { timeout: 5_000 });
  const ports = (await jsm.streams.info(`KV_${buckets.ports}`)).config;
  await jsm.streams.update(`KV_${buckets.ports}`, { ...ports, sources: [{ name: `KV_${buckets.users}` }] });
});
await attempt("as listener: overhear every reply (_INBOX.>)", async () => {
  const ended = await listener.subscribe("_INBOX.>").closed;
  if (ended instanceof Error) throw ended;
});
const outbound = await as("outbound");
await attempt("as outbound: change a pipeline", async () => (await new Kvm(outbound).open(buckets.pipelines)).put("probe", JSON.stringify({ name: "probe" })));
await attempt("as outbound: ask auth to check a password", () => outbound.request(subjects.authLogin, new Uint8Array(), { timeout: 5_000 }));
const storage = await as("storage");
await attempt("as storage: answer logins", async () => {
  const ended = await storage.subscribe(subjects.authLogin).closed;
  if (ended instanceof Error) throw ended;
});
await attempt("as storage: read the event history's dead letters", async () => (await jetstreamManager(storage, { timeout: 5_000 })).streams.getMessage(streams.deadLetters.name, { seq: 1 }));
for (const nc of [listener, outbound, storage]) await nc.close();

/** Lists demo's home, the way an intruder would try to see files. */
const listRoot = async (client: StorageClient) => {
  try {
    for await (const _page of client.list({ root: "demo", path: "/" }));
  } finally {
    client.close();
  }
};
await attempt("gRPC to storage without a certificate: list demo's files", () => listRoot(createStorageClient(storageAddress, { unaryDeadlineMs: 5_000 })));
const otherCa = await makeTestCertificates(join(tmpdir(), `wharf-probe-${process.pid}`), { clientCommonName: "wharf-listener" });
const ca = await readFile(join(data, "pki", "ca.crt"));
await attempt("gRPC to storage with another CA's certificate named wharf-listener", () =>
  listRoot(createStorageClient(storageAddress, { unaryDeadlineMs: 5_000, tls: { ca, cert: Buffer.from(otherCa.clientCert), key: Buffer.from(otherCa.clientKey) } })),
);
await rm(otherCa.dir, { recursive: true, force: true });
const listenerTls = { ca, cert: await readFile(join(data, "pki", "listener.crt")), key: await readFile(join(data, "pki", "listener.key")) };
await attempt("gRPC to storage with the listener's certificate and no session grant", () => listRoot(createStorageClient(storageAddress, { unaryDeadlineMs: 5_000, tls: listenerTls })));

process.stdout.write(got === 0 ? "every attempt was refused\n" : `${got} attempt(s) got in\n`);
process.exit(got === 0 ? 0 : 1);
