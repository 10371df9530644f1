/**
 * @wharf/bus against a real nats-server. (It lives here, not under
 * packages/bus, because @wharf/testing depends on @wharf/bus: a test reference
 * from bus to testing would be a project reference cycle.)
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { jetstream, jetstreamManager, type JsMsg } from "@nats-io/jetstream";
import { type Span, trace } from "@opentelemetry/api";
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { connectBus, consumeEvents, ensureStream, type NatsConnection, publishEvent, request, serveRequests } from "@wharf/bus";
import { type Subject, WharfError } from "@wharf/contracts";
import { createLogger, startTracing, type Tracing } from "@wharf/telemetry";
import { startNatsServer, type TestNatsServer, waitFor } from "../src/index.js";

const log = createLogger({ service: "bus-test", level: "silent" });
const spans = new InMemorySpanExporter();
let tracing: Tracing;
let server: TestNatsServer;
let nc: NatsConnection;

/** Test subjects stand outside the production table on purpose. */
const subject = (name: string) => `wharf.test.v1.${name}` as Subject;
const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array) => new TextDecoder().decode(data);

/** A promise and its resolver, to wait for a handler without sleeping. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

before(async () => {
  tracing = startTracing({ service: "bus-test", spanProcessors: [new SimpleSpanProcessor(spans)] });
  server = await startNatsServer();
  nc = await connectBus({ url: server.url, name: "bus-test" }, log);
});

after(async () => {
  await nc?.close();
  await server?.stop();
  await tracing?.shutdown();
});

test("bus - serveRequests answers a request", async () => {
  const endpoint = serveRequests(nc, { subject: subject("echo"), queue: "echo", log, handler: async (body) => bytes(`echo ${text(body)}`) });
  try {
    const reply = await request(nc, subject("echo"), bytes("hello"), { timeoutMs: 5_000 });
    assert.equal(text(reply), "echo hello");
  } finally {
    await endpoint.stop();
  }
});

test("bus - a handler's WharfError arrives with the same code and message", async () => {
  const endpoint = serveRequests(nc, {
    subject: subject("refuse"),
    queue: "refuse",
    log,
    handler: async () => {
      throw new WharfError("WHARF_PERMISSION_DENIED", "not your folder");
    },
  });
  try {
    const error = await request(nc, subject("refuse"), bytes(""), { timeoutMs: 5_000 }).then(
      () => assert.fail("the request should have failed"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof WharfError);
    assert.equal(error.code, "WHARF_PERMISSION_DENIED");
    assert.equal(error.message, "not your folder");
    assert.equal(error.retryable, false);
  } finally {
    await endpoint.stop();
  }
});

test("bus - a handler's plain error arrives as WHARF_INTERNAL without its message", async () => {
  const endpoint = serveRequests(nc, {
    subject: subject("crash"),
    queue: "crash",
    log,
    handler: async () => {
      throw new Error("ENOENT /var/lib/wharf/secret");
    },
  });
  try {
    await assert.rejects(request(nc, subject("crash"), bytes(""), { timeoutMs: 5_000 }), (e: unknown) => e instanceof WharfError && e.code === "WHARF_INTERNAL" && !e.message.includes("secret"));
  } finally {
    await endpoint.stop();
  }
});

test("bus - no responders is WHARF_UNAVAILABLE (retryable)", async () => {
  await assert.rejects(request(nc, subject("nobody"), bytes(""), { timeoutMs: 5_000 }), (e: unknown) => e instanceof WharfError && e.code === "WHARF_UNAVAILABLE" && e.retryable);
});

test("bus - the traceparent injected by request() parents the handler's span", async () => {
  spans.reset();
  let seen: { traceparent: string | undefined; span: Span | undefined } = { traceparent: undefined, span: undefined };
  const endpoint = serveRequests(nc, {
    subject: subject("traced"),
    queue: "traced",
    log,
    handler: async (_body, msg) => {
      seen = { traceparent: msg.headers?.get("traceparent"), span: trace.getActiveSpan() };
      return bytes("ok");
    },
  });
  await request(nc, subject("traced"), bytes(""), { timeoutMs: 5_000 });
  await endpoint.stop();

  const finished = spans.getFinishedSpans();
  const client = finished.find((s) => s.name === `send ${subject("traced")}`);
  const served = finished.find((s) => s.name === `process ${subject("traced")}`);
  assert.ok(client, "client span");
  assert.ok(served, "server span");
  assert.ok(seen.span, "the handler runs inside an active span");
  assert.deepEqual(seen.span.spanContext(), served.spanContext());

  const clientContext = client.spanContext();
  assert.equal(seen.traceparent, `00-${clientContext.traceId}-${clientContext.spanId}-01`);
  assert.equal(served.spanContext().traceId, clientContext.traceId);
  assert.equal(served.parentSpanContext?.spanId, clientContext.spanId);
  assert.equal(client.parentSpanContext, undefined, "the client span is the root");
});

test("bus - publishEvent with the same msgId twice stores one message", async () => {
  await ensureStream(nc, { name: "TEST_DEDUP", subjects: ["wharf.test.dedup.>"] });
  const first = await publishEvent(nc, "wharf.test.dedup.v1.stored", { n: 1 }, { msgId: "upload-1" });
  const second = await publishEvent(nc, "wharf.test.dedup.v1.stored", { n: 1 }, { msgId: "upload-1" });
  assert.equal(first.duplicate, false);
  assert.equal(second.duplicate, true);
  assert.equal(second.seq, first.seq);
  const jsm = await jetstreamManager(nc);
  assert.equal((await jsm.streams.info("TEST_DEDUP")).state.messages, 1);
});

const consumerInfo = async (stream: string, name: string) => (await jetstreamManager(nc)).consumers.info(stream, name);

test("bus - consumeEvents acks a message once its handler succeeds", async () => {
  await ensureStream(nc, { name: "TEST_ACK", subjects: ["wharf.test.ack.>"] });
  const handled = deferred<unknown>();
  const consumer = await consumeEvents(nc, {
    consumer: { stream: "TEST_ACK", name: "test-ack", filterSubject: "wharf.test.ack.v1.event" },
    log,
    handler: async (body) => handled.resolve(body),
  });
  try {
    const ack = await publishEvent(nc, "wharf.test.ack.v1.event", { id: "a" }, { msgId: "ack-a" });
    assert.deepEqual(await handled.promise, { id: "a" });
    const info = await waitFor(
      async () => {
        const current = await consumerInfo("TEST_ACK", "test-ack");
        return current.ack_floor.stream_seq === ack.seq ? current : undefined;
      },
      { what: "the ack to reach the server" },
    );
    assert.equal(info.num_ack_pending, 0);
    assert.equal(info.num_redelivered, 0);
  } finally {
    await consumer.stop();
  }
});

test("bus - consumeEvents redelivers a message after its handler throws", async () => {
  await ensureStream(nc, { name: "TEST_NAK", subjects: ["wharf.test.nak.>"] });
  const deliveries: Array<{ seq: number; redelivered: boolean; body: unknown }> = [];
  const succeeded = deferred<JsMsg>();
  const consumer = await consumeEvents(nc, {
    consumer: { stream: "TEST_NAK", name: "test-nak", filterSubject: "wharf.test.nak.v1.event" },
    log,
    nakDelayMs: 10,
    handler: async (body, msg) => {
      deliveries.push({ seq: msg.seq, redelivered: msg.redelivered, body });
      if (deliveries.length === 1) throw new Error("downstream not ready");
      succeeded.resolve(msg);
    },
  });
  try {
    const ack = await publishEvent(nc, "wharf.test.nak.v1.event", { id: "b" }, { msgId: "nak-b" });
    const msg = await succeeded.promise;
    assert.equal(msg.info.deliveryCount, 2);
    assert.deepEqual(deliveries, [
      { seq: ack.seq, redelivered: false, body: { id: "b" } },
      { seq: ack.seq, redelivered: true, body: { id: "b" } },
    ]);
    await waitFor(async () => (await consumerInfo("TEST_NAK", "test-nak")).ack_floor.stream_seq === ack.seq, { what: "the second delivery to be acked" });
  } finally {
    await consumer.stop();
  }
});

test("bus - ensureStream sets the stream's age limit when given, and leaves it alone when not", async () => {
  const spec = { name: "TEST_RETENTION", subjects: ["wharf.test.v1.retention.>"] };
  const jsm = await jetstreamManager(nc);
  const day = 86_400_000;
  await ensureStream(nc, spec, { maxAgeMs: day });
  assert.equal((await jsm.streams.info(spec.name)).config.max_age, day * 1_000_000);
  await publishEvent(nc, subject("retention.kept"), { n: 1 }, { msgId: "retention-1" });
  await ensureStream(nc, spec, { maxAgeMs: 7 * day });
  const changed = await jsm.streams.info(spec.name);
  assert.equal(changed.config.max_age, 7 * day * 1_000_000);
  assert.equal(changed.state.messages, 1, "what it held is kept");
  await ensureStream(nc, spec);
  assert.equal((await jsm.streams.info(spec.name)).config.max_age, 7 * day * 1_000_000, "no maxAgeMs: unchanged");
  await ensureStream(nc, spec, { maxAgeMs: 0 });
  assert.equal((await jsm.streams.info(spec.name)).config.max_age, 0, "0: no limit");
});

test("bus - consumeEvents brings an existing consumer's ack wait and pending limit to its settings, and drops a message that is not JSON", async () => {
  await ensureStream(nc, { name: "TEST_LIMITS", subjects: ["wharf.test.limits.>"] });
  const spec = { stream: "TEST_LIMITS", name: "test-limits", filterSubject: "wharf.test.limits.v1.event" };
  const handled: unknown[] = [];
  const first = await consumeEvents(nc, { consumer: spec, log, ackWaitMs: 30_000, handler: async (body) => void handled.push(body) });
  await first.stop();
  assert.equal((await consumerInfo("TEST_LIMITS", "test-limits")).config.ack_wait, 30_000 * 1_000_000);
  const good = deferred<unknown>();
  const second = await consumeEvents(nc, { consumer: spec, log, ackWaitMs: 5_000, handler: async (body) => good.resolve(body) });
  try {
    const info = await consumerInfo("TEST_LIMITS", "test-limits");
    assert.equal(info.config.ack_wait, 5_000 * 1_000_000, "the changed ack wait reached the server");
    assert.equal(info.config.max_ack_pending, 100_000, "retries waiting their turn do not hold up the rest");
    const bad = await jetstream(nc).publish("wharf.test.limits.v1.event", "not json {");
    await publishEvent(nc, "wharf.test.limits.v1.event", { id: "after" }, { msgId: "limits-after" });
    assert.deepEqual(await good.promise, { id: "after" });
    // The bad one was terminated: acknowledged for good, not pending, not redelivered.
    const settled = await waitFor(async () => {
      const current = await consumerInfo("TEST_LIMITS", "test-limits");
      return current.ack_floor.stream_seq > bad.seq && current.num_ack_pending === 0 ? current : undefined;
    }, { what: "the bad message to be terminated" });
    assert.equal(settled.num_redelivered, 0);
    assert.deepEqual(handled, []);
  } finally {
    await second.stop();
  }
});
