/**
 * Outbound pushes (issue 6) against a real partner: vsftpd as a strict FTPS
 * server (explicit TLS, require_ssl_reuse=YES), started by the test, with a
 * real nats-server, a real storage service, and outbound's own consumer.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { chmod, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Kvm } from "@nats-io/kv";
import { type NatsConnection, publishEvent } from "@wharf/bus";
import type { JsMsg } from "@nats-io/jetstream";
import { buckets, EndpointConfig, PipelineConfig, PullConfig, type StorageClient, streams, subjects, type TransferEvent } from "@wharf/contracts";
import { createLogger, createMetricsRegistry } from "@wharf/telemetry";
import { fileStoredEvent, getFreePort, partnerEndpoint, startPureFtpdPartner, startVsftpdPartner, streamMessages, uploadHeader, type TestCertificates, type TestNatsServer, type VsftpdPartner, waitFor } from "@wharf/testing";
import type { OutboundSettings } from "../src/config-watch.js";
import { createDeliveries } from "../src/deliveries.js";
import { openSession, pushFile } from "../src/ftp-push.js";
import { createFileStoredHandler } from "../src/handlers/file-stored.js";
import { createOutboundMetrics } from "../src/metrics.js";
import { startPulls } from "../src/pulls.js";
import type { SessionPool } from "../src/session-pool.js";
import { startTestbed, type Testbed } from "./testbed.js";
import { type OutboundService, startOutboundService } from "../src/service.js";

const run = promisify(execFile);
const log = createLogger({ service: "outbound-test", level: process.env.WHARF_TEST_LOG_LEVEL ?? "silent" });
let base: string;
let nats: TestNatsServer;
let nc: NatsConnection;
let client: StorageClient;
let certs: TestCertificates;
let partner: VsftpdPartner;
let outbound: OutboundService;
const registry = createMetricsRegistry("outbound");
let uploads = 0;

let testbed: Testbed;

before(async () => {
  testbed = await startTestbed("outbound", log);
  ({ base, nats, nc, client, certs, partner } = testbed);
  process.env.WHARF_TEST_PARTNER_PASSWORD = partner.password;
  outbound = await startOutboundService({ nc, log, registry, storage: client, random: () => 0.5 });
});

after(async () => {
  await outbound.stop();
  await testbed.stop();
});

/** Writes endpoints and pipelines as `wharf apply -f` does, and waits until outbound has them (its watch is asynchronous). */
async function configure(endpoints: unknown[], pipelines: unknown[]): Promise<void> {
  const kvm = new Kvm(nc);
  const endpointKv = await kvm.create(buckets.endpoints, { history: 5 });
  const pipelineKv = await kvm.create(buckets.pipelines, { history: 5 });
  for (const endpoint of endpoints.map((raw) => EndpointConfig.parse(raw))) await endpointKv.put(endpoint.name, JSON.stringify(endpoint));
  for (const pipeline of pipelines.map((raw) => PipelineConfig.parse(raw))) await pipelineKv.put(pipeline.name, JSON.stringify(pipeline));
}

const vsftpd = (name: string, extra: Record<string, unknown> = {}) =>
  partnerEndpoint(partner, certs.serverCert, { name, passwordEnv: "WHARF_TEST_PARTNER_PASSWORD", timeoutMs: 5_000, ...extra });

async function store(root: string, path: string, bytes: Buffer) {
  const upload = client.openUpload(uploadHeader(root, path, `out-${++uploads}-${Date.now()}`));
  await upload.ready;
  await upload.write(bytes);
  return upload.finish("close_notify");
}

async function metric(pipeline: string, result: string): Promise<number> {
  const values = (await registry.getSingleMetric("wharf_outbound_deliveries_total")?.get())?.values ?? [];
  return values.find((value) => value.labels.pipeline === pipeline && value.labels.result === result)?.value ?? 0;
}

async function sessions(result: string): Promise<number> {
  const values = (await registry.getSingleMetric("wharf_outbound_partner_sessions_total")?.get())?.values ?? [];
  return values.find((value) => value.labels.result === result)?.value ?? 0;
}

/** A gauge's value as a scrape reads it (collected from JetStream). */
async function gauge(name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const values = (await registry.getSingleMetric(name)?.get())?.values ?? [];
  return values.find((value) => Object.entries(labels).every(([key, wanted]) => value.labels[key] === wanted))?.value;
}

/** A file at a partner, once it has arrived (read from the partner's folder). */
const arrivedAt = (root: string, path: string, timeoutMs = 20_000) => waitFor(() => readFile(join(root, path)).catch(() => undefined), { timeoutMs, what: `${path} at the partner` });

const atPartner = (path: string) => readFile(join(partner.root, path)).catch(() => undefined);
/** A pipeline's transfer events, in the order they were published. */
async function transfers(pipeline: string): Promise<TransferEvent[]> {
  const kinds = [subjects.transferStarted, subjects.transferCompleted, subjects.transferFailed, subjects.transferDeadLettered, subjects.transferSuperseded];
  const messages = (await Promise.all(kinds.map((subject) => streamMessages(nc, streams.events.name, subject)))).flat().sort((a, b) => a.seq - b.seq);
  return messages.map((message) => message.body as unknown as TransferEvent).filter((body) => body.pipeline === pipeline);
}
const deadLetters = async (pipeline: string) =>
  (await streamMessages(nc, streams.deadLetters.name, subjects.deadLetter))
    .map((message) => message.body as { pipeline: string; reason: string; attempts: number })
    .filter((body) => body.pipeline === pipeline);

/** The pipeline's dead letters, once there is one. */
const deadLettered = (pipeline: string, timeoutMs = 20_000) =>
  waitFor(
    async () => {
      const found = await deadLetters(pipeline);
      return found.length > 0 ? found : undefined;
    },
    { timeoutMs, what: `a dead letter of ${pipeline}` },
  );
/** Resolves once the pipeline's deliveries counted as `result` reach `count` (the count follows the partner's answer). */
const counted = (pipeline: string, result: string, count: number, timeoutMs = 10_000) =>
  waitFor(async () => ((await metric(pipeline, result)) === count ? true : undefined), { timeoutMs, what: `${count} ${result} for ${pipeline}` });

test("a file stored under a pipeline's folder reaches vsftpd (explicit FTPS, session reuse required, pinned certificate) byte for byte, once; others stay home", async () => {
  await configure([vsftpd("acme-in")], [{ name: "to-acme", source: { root: "acme", folder: "/outbox", glob: "*.csv" }, target: "acme-in" }]);
  await client.mkdir({ root: "acme", path: "/outbox" });
  const bytes = randomBytes(700_000);
  await store("acme", "/outbox/report.csv", bytes);
  await store("acme", "/outbox/notes.txt", Buffer.from("not a csv"));
  await store("acme", "/elsewhere.csv", Buffer.from("not in the folder"));
  const delivered = await arrivedAt(partner.root, "acme-in/report.csv");
  assert.equal(createHash("sha256").update(delivered).digest("hex"), createHash("sha256").update(bytes).digest("hex"));
  // Counted just after the rename the partner shows: wait for the count, then check it stays at one.
  await counted("to-acme", "delivered", 1);
  // Only the final name: the temporary one was renamed, and the files outside the pipeline's source were not sent.
  assert.deepEqual(await readdir(join(partner.root, "acme-in")), ["report.csv"]);
  // The file's history: the attempt started and completed, with where it went and the partner's answer.
  const history = await waitFor(
    async () => {
      const found = await transfers("to-acme");
      return found.some((body) => body.type === "wharf.evt.v1.transfer_completed") ? found : undefined;
    },
    { what: "the transfer events" },
  );
  assert.deepEqual(
    history.map((body) => [body.type, body.attempt, body.path]),
    [
      ["wharf.evt.v1.transfer_started", 1, "/outbox/report.csv"],
      ["wharf.evt.v1.transfer_completed", 1, "/outbox/report.csv"],
    ],
  );
  assert.equal(history[1]?.remotePath, "/acme-in/report.csv");
  assert.match(history[1]?.reply ?? "", /^250 /);
  assert.match(history[1]?.tls ?? "", /^TLSv1\.[23]$/);
  assert.equal(history[1]?.verified, "size", "vsftpd offers SIZE but no HASH");
});

test("an event delivered again (a redelivery, a republished commit) is not sent twice", async () => {
  const before = await metric("to-acme", "duplicate");
  const [event] = (await streamMessages(nc, streams.events.name, subjects.fileStored))
    .map((message) => message.body)
    .filter((body) => body.path === "/outbox/report.csv");
  assert.ok(event);
  await rm(join(partner.root, "acme-in/report.csv"));
  await publishEvent(nc, subjects.fileStored, event, { msgId: `again-${Date.now()}` });
  await waitFor(async () => ((await metric("to-acme", "duplicate")) > before ? true : undefined), { what: "the duplicate to be seen" });
  assert.equal(await atPartner("acme-in/report.csv"), undefined, "not sent again");
});

test("an instance that stopped after recording a delivery and before saying so: the redelivered event says it (once), sends nothing; a replay says nothing", async () => {
  const pipeline = PipelineConfig.parse({ name: "to-acme-said", source: { root: "acme", folder: "/said" }, target: "acme-in" });
  const settings: OutboundSettings = { endpoint: () => EndpointConfig.parse(vsftpd("acme-in")), pipelines: () => [pipeline], pulls: () => [], stop: () => undefined };
  // Any session asked for would be a file sent again.
  let sessionsAsked = 0;
  const noSessions: SessionPool = {
    acquire: async () => {
      sessionsAsked += 1;
      throw new Error("nothing may be sent");
    },
    release: () => undefined,
    close: () => undefined,
  };
  const deliveries = await createDeliveries(nc);
  const handler = createFileStoredHandler({ nc, log, metrics: createOutboundMetrics(createMetricsRegistry("said")), settings, deliveries, storage: client, sessions: noSessions });
  const event = fileStoredEvent("acme", "/said/late.csv", "a,b", { uploadId: `said-${Date.now()}`, storedAt: "2026-12-04T09:59:59.000Z" });
  // What the first instance left: the delivery recorded by message 4242's first try, no completed event.
  await deliveries.record(pipeline.name, event, { status: "delivered", remotePath: "/acme-in/late.csv", deliveredAt: "2026-12-04T10:00:00.000Z", attempts: 1, seq: 4242, reply: "250 Rename successful." });
  const completed = async () => (await transfers(pipeline.name)).filter((body) => body.uploadId === event.uploadId && body.type === "wharf.evt.v1.transfer_completed");
  const redelivered = (seq: number, deliveryCount: number) => ({ seq, info: { deliveryCount } }) as unknown as JsMsg;
  await handler(event, redelivered(4242, 2));
  assert.deepEqual(
    (await completed()).map((body) => [body.attempt, body.remotePath, body.reply, body.at]),
    [[1, "/acme-in/late.csv", "250 Rename successful.", "2026-12-04T10:00:00.000Z"]],
  );
  // Once more (the stream's duplicate window drops the copy), and a replay (another message): still one.
  await handler(event, redelivered(4242, 3));
  await handler(event, redelivered(5151, 1));
  assert.equal((await completed()).length, 1);
  assert.equal(sessionsAsked, 0, "nothing sent");
});

test("a certificate that is not the pinned one: nothing is sent, and the delivery goes to the dead-letter stream at once with the reason", async () => {
  await configure(
    [vsftpd("pinned-wrong", { trust: { fingerprint: "AB".repeat(32) } })],
    [{ name: "to-wrong-pin", source: { root: "pin" }, target: "pinned-wrong" }],
  );
  await store("pin", "/secret.bin", randomBytes(1000));
  const letters = await deadLettered("to-wrong-pin");
  assert.match(letters[0]?.reason ?? "", /not the pinned one; nothing was sent/);
  assert.equal(letters[0]?.attempts, 1, "a wrong pin is not retried");
  assert.equal(await readdir(join(partner.root, "pinned-wrong")).catch(() => "absent"), "absent", "not even the folder was made");
});

test("a partner that is down, then up: the delivery is tried again with backoff and arrives", async () => {
  const port = await getFreePort();
  await configure(
    [vsftpd("late", { port })],
    [{ name: "to-late", source: { root: "late" }, target: "late", retry: { maxAttempts: 10, initialDelayMs: 200, maxDelayMs: 1_000 } }],
  );
  const bytes = randomBytes(50_000);
  await store("late", "/waiting.bin", bytes);
  await waitFor(async () => ((await metric("to-late", "retry")) >= 1 ? true : undefined), { timeoutMs: 20_000, what: "a failed first try" });
  const late = await startVsftpdPartner(base, { certFile: certs.serverCertFile, keyFile: certs.serverKeyFile, port });
  try {
    const delivered = await arrivedAt(late.root, "late/waiting.bin");
    assert.ok(delivered.equals(bytes));
    await counted("to-late", "delivered", 1);
  } finally {
    await late.stop();
  }
});

test("the last try failed: the delivery is in the dead-letter stream with its attempts and reason", async () => {
  const port = await getFreePort();
  await configure(
    [vsftpd("nobody", { port })],
    [{ name: "to-nobody", source: { root: "nobody" }, target: "nobody", retry: { maxAttempts: 3, initialDelayMs: 100, maxDelayMs: 200 } }],
  );
  await store("nobody", "/lost.bin", randomBytes(10));
  const letters = await deadLettered("to-nobody");
  assert.equal(letters[0]?.attempts, 3);
  assert.match(letters[0]?.reason ?? "", /ECONNREFUSED/);
  assert.equal(await metric("to-nobody", "retry"), 2);
  const history = await waitFor(
    async () => {
      const found = await transfers("to-nobody");
      return found.some((body) => body.type === "wharf.evt.v1.transfer_dead_lettered") ? found : undefined;
    },
    { what: "the transfer events" },
  );
  assert.deepEqual(
    history.map((body) => `${body.type.replace("wharf.evt.v1.transfer_", "")}:${body.attempt}`),
    ["started:1", "failed:1", "started:2", "failed:2", "started:3", "dead_lettered:3"],
  );
});

test("wharf dlq ls shows the dead letters; wharf dlq replay --all --pipeline gives them another set of tries, and the file arrives", async () => {
  const cli = fileURLToPath(new URL("../../../../packages/cli/dist/src/main.js", import.meta.url));
  const wharf = (...args: string[]) => run(process.execPath, [cli, ...args], { env: { ...process.env, WHARF_NATS_URL: nats.url } });
  const listed = (await wharf("dlq", "ls")).stdout;
  assert.match(listed, /\tto-nobody\tnobody\tnobody:\/lost\.bin\t3\t.*ECONNREFUSED/);
  assert.match(listed, /\tto-wrong-pin\tpinned-wrong\tpin:\/secret\.bin\t1\t/);
  await assert.rejects(
    wharf("dlq", "replay", "--pipeline", "to-nobody"),
    (error: { code?: number; stderr?: string }) => error.code === 2 && /usage: wharf dlq/.test(error.stderr ?? ""),
  );
  const lettersBefore = (await streamMessages(nc, streams.deadLetters.name, subjects.deadLetter)).length;
  assert.ok(lettersBefore >= 2);
  assert.equal(await gauge("wharf_outbound_dead_letters"), lettersBefore);
  // The partner is there now.
  const port = EndpointConfig.parse((await (await new Kvm(nc).open(buckets.endpoints)).get("nobody"))?.json()).port;
  const back = await startVsftpdPartner(base, { certFile: certs.serverCertFile, keyFile: certs.serverKeyFile, port });
  try {
    const replayed = (await wharf("dlq", "replay", "--all", "--pipeline", "to-nobody")).stdout;
    assert.match(replayed, /replayed \(to-nobody, nobody:\/lost\.bin\)/);
    await arrivedAt(back.root, "nobody/lost.bin");
    const after = (await wharf("dlq", "ls")).stdout;
    assert.doesNotMatch(after, /to-nobody/);
    assert.equal(await gauge("wharf_outbound_dead_letters"), lettersBefore - 1, "the gauge follows the stream");
    assert.match(after, /to-wrong-pin/, "the other pipeline's letter stays");
    // Replayed, and failing again at once (the pin is still wrong): a new letter, not dropped as a duplicate of the first.
    const pinned = /^(\d+)\t[^\t]+\tto-wrong-pin\t/m.exec(after)?.[1] as string;
    assert.match((await wharf("dlq", "replay", pinned)).stdout, /replayed \(to-wrong-pin, pin:\/secret\.bin\)/);
    // Each replay is an audited admin action, keyed by the letter's sequence number.
    const replays = (await streamMessages(nc, streams.audit.name, subjects.configChanged)).map(({ body }) => body);
    assert.ok(replays.some((body) => body.operation === "replay" && body.command === "dlq replay" && body.bucket === streams.deadLetters.name && body.key === pinned));
    const again = await waitFor(
      async () => {
        const seq = /^(\d+)\t[^\t]+\tto-wrong-pin\t/m.exec((await wharf("dlq", "ls")).stdout)?.[1];
        return seq && seq !== pinned ? seq : undefined;
      },
      { timeoutMs: 20_000, what: "the replay's own dead letter" },
    );
    assert.ok(Number(again) > Number(pinned));
    // A letter whose pipeline is gone stays: replayed, its event would match nothing and be acknowledged.
    await (await new Kvm(nc).open(buckets.pipelines)).delete("to-wrong-pin");
    const orphan = await wharf("dlq", "replay", again).then(
      () => assert.fail("must fail"),
      (error: { code?: number; stderr?: string }) => error,
    );
    assert.equal(orphan.code, 1);
    assert.match(orphan.stderr ?? "", new RegExp(`dead letter ${again}: pipeline to-wrong-pin no longer exists; left in place`));
    assert.match((await wharf("dlq", "ls")).stdout, new RegExp(`^${again}\\t`, "m"));
    assert.equal((await streamMessages(nc, streams.audit.name, subjects.configChanged)).some(({ body }) => body.operation === "replay" && body.key === again), false, "a letter left in place is not a replay");
  } finally {
    await back.stop();
  }
});

test("wharf endpoints ls and pipelines ls show the settings, secrets only by reference", async () => {
  const cli = fileURLToPath(new URL("../../../../packages/cli/dist/src/main.js", import.meta.url));
  const wharf = (...args: string[]) => run(process.execPath, [cli, ...args], { env: { ...process.env, WHARF_NATS_URL: nats.url } });
  const endpoints = (await wharf("endpoints", "ls")).stdout;
  assert.match(
    endpoints,
    new RegExp(
      `^acme-in\\t127\\.0\\.0\\.1:${partner.port}\\texplicit\\t${partner.user}\\tenv:WHARF_TEST_PARTNER_PASSWORD\\tpin:[0-9A-F]{16}…\\t/acme-in$`,
      "m",
    ),
  );
  assert.ok(!endpoints.includes(partner.password), "never the password itself");
  assert.match((await wharf("pipelines", "ls")).stdout, /^to-acme\ttrue\tacme:\/outbox\/\*\.csv\tacme-in\t8$/m);
});

test("implicit FTPS: a vsftpd partner with TLS from the first byte gets the file", async () => {
  const implicit = await startVsftpdPartner(base, { certFile: certs.serverCertFile, keyFile: certs.serverKeyFile, implicit: true });
  try {
    await configure(
      [vsftpd("implicit-in", { port: implicit.port, tls: "implicit" })],
      [{ name: "to-implicit", source: { root: "implicit" }, target: "implicit-in" }],
    );
    const bytes = randomBytes(300_000);
    await store("implicit", "/over-tls.bin", bytes);
    const delivered = await arrivedAt(implicit.root, "implicit-in/over-tls.bin");
    assert.ok(delivered.equals(bytes));
  } finally {
    await implicit.stop();
  }
});

test("pure-ftpd (TLS required, -Y 2): a pushed file arrives byte for byte, checked by its size", async () => {
  const pure = await startPureFtpdPartner(base, { certFile: certs.serverCertFile, keyFile: certs.serverKeyFile });
  try {
    process.env.WHARF_TEST_PURE_PASSWORD = pure.password;
    await configure(
      [vsftpd("pure-in", { port: pure.port, user: pure.user, password: { env: "WHARF_TEST_PURE_PASSWORD" } })],
      [{ name: "to-pure", source: { root: "pure" }, target: "pure-in" }],
    );
    const bytes = randomBytes(1_500_000);
    await store("pure", "/ledger.bin", bytes);
    const delivered = await arrivedAt(pure.root, "pure-in/ledger.bin");
    assert.ok(delivered.equals(bytes));
    const completed = await waitFor(
      async () => (await transfers("to-pure")).find((body) => body.type === "wharf.evt.v1.transfer_completed"),
      { what: "the completed transfer" },
    );
    assert.equal(completed.verified, "size", "pure-ftpd offers SIZE but no HASH");
    assert.deepEqual(await readdir(join(pure.root, "pure-in")), ["ledger.bin"], "no temporary name left");
  } finally {
    await pure.stop();
  }
});

test("a partner that cuts the upload mid-transfer (pure-ftpd over its quota): tried again, then dead-lettered; nothing under the final name, no temporary file left", async () => {
  const pure = await startPureFtpdPartner(base, { certFile: certs.serverCertFile, keyFile: certs.serverKeyFile, quotaMegabytes: 1 });
  try {
    process.env.WHARF_TEST_PURE_PASSWORD = pure.password;
    await configure(
      [vsftpd("full", { port: pure.port, user: pure.user, password: { env: "WHARF_TEST_PURE_PASSWORD" }, remoteFolder: "/" })],
      [{ name: "to-full", source: { root: "full" }, target: "full", retry: { maxAttempts: 2, initialDelayMs: 100, maxDelayMs: 200 } }],
    );
    await store("full", "/too-big.bin", randomBytes(3_000_000));
    const letters = await deadLettered("to-full", 30_000);
    assert.equal(letters[0]?.attempts, 2);
    assert.equal(await metric("to-full", "retry"), 1);
    assert.equal(await metric("to-full", "delivered"), 0);
    // pure-ftpd keeps its quota's bookkeeping in the user's folder; nothing else may be there.
    assert.deepEqual((await readdir(pure.root)).filter((name) => name !== ".ftpquota"), []);
  } finally {
    await pure.stop();
  }
});

test("a partner that refuses the rename: the temporary file is removed, and the delivery is dead-lettered with the partner's answer", async () => {
  const { mkdir: makeDir, chmod } = await import("node:fs/promises");
  // Made by this (root) process: a folder where the file's final name should go, which no rename can replace.
  await makeDir(join(partner.root, "clash/report.csv"), { recursive: true });
  await chmod(join(partner.root, "clash"), 0o777);
  await configure([vsftpd("clash")], [{ name: "to-clash", source: { root: "clash" }, target: "clash", retry: { maxAttempts: 1 } }]);
  await store("clash", "/report.csv", randomBytes(200_000));
  const letters = await deadLettered("to-clash");
  assert.match(letters[0]?.reason ?? "", /^550 /);
  assert.deepEqual(await readdir(join(partner.root, "clash")), ["report.csv"], "only the folder that was there: the temporary file is gone");
  assert.deepEqual(await readdir(join(partner.root, "clash/report.csv")), []);
});

test("twelve files at once, two connections to the partner: each arrives once, whole", async () => {
  await configure([vsftpd("many-in", { maxConnections: 2 })], [{ name: "to-many", source: { root: "many" }, target: "many-in" }]);
  const files = Array.from({ length: 12 }, (_, index) => [`/f${index}.bin`, randomBytes(20_000 + index)] as const);
  await Promise.all(files.map(([path, bytes]) => store("many", path, bytes)));
  await counted("to-many", "delivered", files.length, 30_000);
  for (const [path, bytes] of files) assert.ok((await atPartner(`many-in${path}`))?.equals(bytes), path);
  assert.equal((await readdir(join(partner.root, "many-in"))).length, files.length);
  // Every event taken and acknowledged: nothing waits (the gauges are read from the consumer at each scrape).
  await waitFor(async () => ((await gauge("wharf_outbound_queue_events", { state: "in_progress" })) === 0 ? true : undefined), { what: "no event in progress" });
  assert.equal(await gauge("wharf_outbound_queue_events", { state: "pending" }), 0);
});

test("deliveries one after another share one session with the partner: one login, then reuse", async () => {
  await configure([vsftpd("reuse-in", { maxConnections: 1 })], [{ name: "to-reuse", source: { root: "reuse" }, target: "reuse-in" }]);
  const files = Array.from({ length: 5 }, (_, index) => [`/r${index}.bin`, randomBytes(10_000 + index)] as const);
  for (const [index, [path, bytes]] of files.entries()) {
    await store("reuse", path, bytes);
    await counted("to-reuse", "delivered", index + 1);
  }
  for (const [path, bytes] of files) assert.ok((await atPartner(`reuse-in${path}`))?.equals(bytes), path);
  const completed = (await transfers("to-reuse")).filter((body) => body.type === "wharf.evt.v1.transfer_completed");
  assert.deepEqual(
    completed.map((body) => body.sessionReused),
    [false, true, true, true, true],
  );
});

test("a partner restarted between deliveries: its closed session is set aside and the next delivery logs in again", async () => {
  const port = await getFreePort();
  const first = await startVsftpdPartner(base, { certFile: certs.serverCertFile, keyFile: certs.serverKeyFile, port });
  await configure([vsftpd("restarted", { port, maxConnections: 1 })], [{ name: "to-restarted", source: { root: "restarted" }, target: "restarted" }]);
  await store("restarted", "/before.bin", randomBytes(1_000));
  await counted("to-restarted", "delivered", 1, 20_000);
  await first.stop();
  const staleBefore = await sessions("stale");
  const second = await startVsftpdPartner(base, { certFile: certs.serverCertFile, keyFile: certs.serverKeyFile, port });
  try {
    const bytes = randomBytes(2_000);
    await store("restarted", "/after.bin", bytes);
    const delivered = await arrivedAt(second.root, "restarted/after.bin");
    assert.ok(delivered.equals(bytes));
    assert.equal(await sessions("stale"), staleBefore + 1);
    const completed = await waitFor(
      async () => (await transfers("to-restarted")).filter((body) => body.type === "wharf.evt.v1.transfer_completed").at(1),
      { what: "the second completed transfer" },
    );
    assert.equal(completed.path, "/after.bin");
    assert.equal(completed.sessionReused, false);
    assert.equal(completed.attempt, 1, "no failed try: the stale session was found before it was used");
  } finally {
    await second.stop();
  }
});

test("wharf endpoints validate: one connection as a delivery makes it, reported check by check; a wrong pin fails", async () => {
  const cli = fileURLToPath(new URL("../../../../packages/cli/dist/src/main.js", import.meta.url));
  const wharf = (...args: string[]) => run(process.execPath, [cli, ...args], { env: { ...process.env, WHARF_NATS_URL: nats.url } });
  const { stdout } = await wharf("endpoints", "validate", "acme-in");
  assert.match(stdout, /^ok {3}connection: 127\.0\.0\.1:\d+ \(explicit FTPS\)$/m);
  assert.match(stdout, /^ok {3}TLS: TLSv1\.[23], /m);
  assert.match(stdout, /^ok {3}trust: matches the pinned fingerprint$/m);
  assert.match(stdout, /^ok {3}login: as wharfpartner$/m);
  assert.match(stdout, /^ok {3}PROT P: 200 \/ 200 /m);
  assert.match(stdout, /^ok {3}listing: \/acme-in: \d+ entries, data connection resumed the TLS session$/m);
  assert.match(stdout, /^acme-in: deliveries can work$/m);
  const wrong = await wharf("endpoints", "validate", "pinned-wrong").then(
    () => assert.fail("a wrong pin must fail"),
    (error: { code?: number; stdout?: string }) => error,
  );
  assert.equal(wrong.code, 1);
  assert.match(wrong.stdout ?? "", /^FAIL connection: the partner's certificate \(SHA-256 [0-9A-F]{64}\) is not the pinned one; nothing was sent$/m);
  assert.match(wrong.stdout ?? "", /^pinned-wrong: deliveries would fail$/m);
  // The tlsSessionReuse quirk takes effect: vsftpd (require_ssl_reuse=YES) refuses a data connection that does not resume.
  await configure([vsftpd("no-reuse", { quirks: { tlsSessionReuse: false } })], []);
  const fresh = await wharf("endpoints", "validate", "no-reuse").then(
    () => assert.fail("vsftpd must refuse data connections without session reuse"),
    (error: { code?: number; stdout?: string }) => error,
  );
  assert.equal(fresh.code, 1);
  assert.match(fresh.stdout ?? "", /^FAIL listing: \/no-reuse: .*data connection did NOT resume the TLS session$/m);
});

test("a pull fetches new files matching its glob into storage, then deletes them at the partner; the stored file is pushed on by a pipeline", async () => {
  const { writeFile: write, mkdir: makeDir, chmod } = await import("node:fs/promises");
  // Made by this (root) process: the partner's user must be able to delete in it.
  await makeDir(join(partner.root, "outgoing"), { recursive: true });
  await chmod(join(partner.root, "outgoing"), 0o777);
  const invoice = randomBytes(400_000);
  await write(join(partner.root, "outgoing/invoice-1.xml"), invoice);
  await write(join(partner.root, "outgoing/readme.txt"), "not matched");
  await configure(
    [vsftpd("acme-pull"), vsftpd("archive")],
    [{ name: "pulled-to-archive", source: { root: "pulled", folder: "/from-acme" }, target: "archive" }],
  );
  const pulls = await new Kvm(nc).create(buckets.pulls, { history: 5 });
  const pull = PullConfig.parse({
    name: "from-acme",
    source: { endpoint: "acme-pull", folder: "/outgoing", glob: "*.xml" },
    target: { root: "pulled", folder: "/from-acme" },
    everyMs: 1_000,
    afterFetch: "delete",
  });
  await pulls.put(pull.name, JSON.stringify(pull));
  // Fetched into storage, with its own file.stored event…
  const stored = await waitFor(
    async () => {
      const chunks: Buffer[] = [];
      try {
        for await (const chunk of client.read({ root: "pulled", path: "/from-acme/invoice-1.xml" })) chunks.push(chunk);
        return Buffer.concat(chunks);
      } catch {
        return undefined;
      }
    },
    { timeoutMs: 20_000, what: "the pulled file in storage" },
  );
  assert.ok(stored.equals(invoice));
  // …deleted at the partner once stored (the unmatched file stays)…
  await waitFor(async () => ((await readdir(join(partner.root, "outgoing"))).join() === "readme.txt" ? true : undefined), {
    what: "the fetched file gone at the partner",
  });
  // …and pushed on by the pipeline whose source holds it.
  const pushed = await arrivedAt(partner.root, "archive/invoice-1.xml");
  assert.ok(pushed.equals(invoice));
  const values = (await registry.getSingleMetric("wharf_outbound_pulls_total")?.get())?.values ?? [];
  assert.equal(values.find((value) => value.labels.pull === "from-acme" && value.labels.result === "fetched")?.value, 1);
});

test("an older version whose event comes after a newer one was delivered does not replace it at the partner", async () => {
  const [newer] = (await streamMessages(nc, streams.events.name, subjects.fileStored)).map((message) => message.body).filter((body) => body.root === "many" && body.path === "/f0.bin");
  assert.ok(newer);
  const before = await atPartner("many-in/f0.bin");
  // A version stored earlier, whose delivery only comes now (as after failed tries).
  const older = { ...newer, uploadId: `older-${Date.now()}`, sha256: "0".repeat(64), storedAt: "2000-01-01T00:00:00.000Z" };
  await publishEvent(nc, subjects.fileStored, older, { msgId: older.uploadId });
  await counted("to-many", "superseded", 1);
  assert.ok((await atPartner("many-in/f0.bin"))?.equals(before as Buffer), "the partner keeps the newer version");
  const history = (await transfers("to-many")).filter((body) => body.uploadId === older.uploadId);
  assert.deepEqual(
    history.map((body) => body.type),
    ["wharf.evt.v1.transfer_superseded"],
    "its history ends there, nothing was sent",
  );
  assert.match(history[0]?.reason ?? "", /a newer version of the file \(stored .*\) was delivered first/);
});

test("an event for a version the stored file no longer holds (replaced since): its bytes are not put under the final name", async () => {
  const [current] = (await streamMessages(nc, streams.events.name, subjects.fileStored)).map((message) => message.body).filter((body) => body.root === "many" && body.path === "/f1.bin");
  assert.ok(current);
  const before = await atPartner("many-in/f1.bin");
  const supersededBefore = await metric("to-many", "superseded");
  // An event for a version the file no longer holds, as a late retry or a dead-letter replay would bring.
  const gone = { ...current, uploadId: `gone-${Date.now()}`, sha256: "1".repeat(64), storedAt: new Date().toISOString() };
  await publishEvent(nc, subjects.fileStored, gone, { msgId: gone.uploadId });
  await counted("to-many", "superseded", supersededBefore + 1);
  assert.ok((await atPartner("many-in/f1.bin"))?.equals(before as Buffer), "the partner keeps what it had");
  assert.ok(!(await readdir(join(partner.root, "many-in"))).some((name) => name.endsWith(".part")), "no temporary file left");
  const history = (await transfers("to-many")).filter((body) => body.uploadId === gone.uploadId);
  assert.equal(history.at(-1)?.type, "wharf.evt.v1.transfer_superseded");
  assert.match(history.at(-1)?.reason ?? "", /the stored file changed since this version/);
});

test("a pull fetches a file only once two polls listed it unchanged: one still being written waits", async () => {
  const { writeFile: write, appendFile, mkdir: makeDir } = await import("node:fs/promises");
  await makeDir(join(partner.root, "growing"), { recursive: true });
  await write(join(partner.root, "growing/big.csv"), "first half,");
  const endpoint = EndpointConfig.parse(vsftpd("settle-src"));
  const pull = PullConfig.parse({ name: "settle", source: { endpoint: endpoint.name, folder: "/growing" }, target: { root: "settled" }, everyMs: 1_000 });
  const settings = { endpoint: (name: string) => (name === endpoint.name ? endpoint : undefined), pipelines: () => [], pulls: () => [pull], stop: () => undefined };
  let now = Date.now();
  const pullRegistry = createMetricsRegistry("outbound-settle");
  // Its own runner, driven by the test's clock and ticks (its timer is far off).
  const runner = await startPulls({ nc, log, settings, storage: client, metrics: createOutboundMetrics(pullRegistry), tickMs: 3_600_000, clock: () => now, secrets: { keyring: undefined, env: process.env } });
  const stored = () => client.stat({ root: "settled", path: "/big.csv" }).then(() => true, () => false);
  try {
    await runner.tick(); // first sight
    assert.equal(await stored(), false, "not fetched on first sight");
    await appendFile(join(partner.root, "growing/big.csv"), "second half");
    now += 1_000;
    await runner.tick(); // changed since: still being written
    assert.equal(await stored(), false, "not fetched while it changes");
    now += 1_000;
    await runner.tick(); // unchanged since the last poll: settled
    const chunks: Buffer[] = [];
    for await (const chunk of client.read({ root: "settled", path: "/big.csv" })) chunks.push(chunk);
    assert.equal(Buffer.concat(chunks).toString(), "first half,second half");
  } finally {
    await runner.stop();
  }
});

test("a try after one that died past the rename finds the file at the partner and sends nothing; with the temporary file still there, it sends", async () => {
  const endpoint = EndpointConfig.parse(vsftpd("lookfirst", { remoteFolder: "/lookfirst" }));
  const bytes = randomBytes(40_000);
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  const request = { endpoint, name: "kept.bin", size: bytes.length, sha256, uploadId: "u-look", source: async () => Readable.from([bytes]) };
  const session = await openSession(endpoint, log, { keyring: undefined, env: process.env });
  try {
    // The first try: delivered, then (as if) the process died before recording it.
    assert.equal((await pushFile(request, session)).alreadyThere, undefined);
    const sourceRead = { count: 0 };
    const counted = async () => {
      sourceRead.count++;
      return Readable.from([bytes]);
    };
    const looked = await pushFile({ ...request, lookFirst: true, source: counted }, session);
    assert.equal(looked.alreadyThere, true);
    assert.equal(looked.verified, "size");
    assert.equal(sourceRead.count, 0, "not sent again");
    // A try that died before its rename left the temporary file: the next one sends (and renames) again.
    await writeFile(join(partner.root, "lookfirst/.again.bin.u-look.part"), bytes.subarray(0, 100), { mode: 0o666 });
    await chmod(join(partner.root, "lookfirst/.again.bin.u-look.part"), 0o666);
    const again = await pushFile({ ...request, name: "again.bin", lookFirst: true }, session);
    assert.equal(again.alreadyThere, undefined);
    assert.deepEqual(await readFile(join(partner.root, "lookfirst/again.bin")), bytes);
  } finally {
    session.client.close();
  }
});
