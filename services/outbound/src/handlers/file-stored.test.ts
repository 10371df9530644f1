import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { test } from "node:test";
import type { JsMsg } from "@nats-io/jetstream";
import { type NatsConnection, RetryLater } from "@wharf/bus";
import { EndpointConfig, PipelineConfig, type StorageClient } from "@wharf/contracts";
import { fileStoredEvent } from "@wharf/testing";
import { createLogger, createMetricsRegistry } from "@wharf/telemetry";
import type { Client } from "basic-ftp";
import type { OutboundSettings } from "../config-watch.js";
import type { Deliveries } from "../deliveries.js";
import { createOutboundMetrics } from "../metrics.js";
import type { SessionPool } from "../session-pool.js";
import { createFileStoredHandler } from "./file-stored.js";

// Unit test with fakes: the partner, storage and the deliveries bucket are stand-ins; the integration
// tests (test/push.int.test.ts) run the same handler against vsftpd, pure-ftpd and a real nats-server.
const bytes = Buffer.from("invoice 42\n");
const event = fileStoredEvent("acme", "/out/invoice.xml", bytes, { uploadId: "u-1", storedAt: "2026-11-22T10:00:00.000Z" });

function partner() {
  const uploads: string[] = [];
  const client = {
    closed: false,
    ensureDir: async () => undefined,
    cd: async () => undefined,
    uploadFrom: async (source: Readable, name: string) => {
      for await (const _chunk of source);
      uploads.push(name);
      return { code: 226, message: "226 Transfer complete." };
    },
    rename: async () => ({ code: 250, message: "250 Renamed." }),
    size: async () => bytes.length,
    features: async () => new Map<string, string>(),
    remove: async () => ({ code: 250, message: "250 Deleted." }),
    close: () => undefined,
  };
  const sessions: SessionPool = {
    acquire: async () => ({ client: client as unknown as Client, tlsVersion: "TLSv1.3", reused: false }),
    release: () => undefined,
    close: () => undefined,
  };
  return { uploads, sessions };
}

function handlerWith(deliveries: Deliveries, sessions: SessionPool) {
  const endpoint = EndpointConfig.parse({ name: "acme", host: "127.0.0.1", port: 21, user: "u", trust: { insecure: true } });
  const pipeline = PipelineConfig.parse({ name: "to-acme", source: { root: "acme" }, target: "acme" });
  const settings: OutboundSettings = { endpoint: () => endpoint, pipelines: () => [pipeline], pulls: () => [], stop: () => undefined };
  const storage = { read: () => Readable.from([bytes]) } as unknown as StorageClient;
  // Transfer events cannot be published here: the handler logs that and goes on.
  const nc = {} as NatsConnection;
  const metrics = createOutboundMetrics(createMetricsRegistry("outbound-unit"));
  return createFileStoredHandler({ nc, log: createLogger({ service: "unit", level: "silent" }), metrics, settings, deliveries, storage, sessions });
}

function deliveriesFailing(recordFailures: number, { claimed = true } = {}) {
  const records: string[] = [];
  let failures = 0;
  const deliveries: Deliveries = {
    claim: async () => (claimed ? { granted: true, interrupted: false } : { granted: false }),
    markFinalName: async () => undefined,
    release: async () => undefined,
    find: async () => undefined,
    newestDelivered: async () => undefined,
    markDelivered: async () => undefined,
    record: async (_pipeline, _file, delivery) => {
      if (failures++ < recordFailures) throw new Error("KV write timed out");
      records.push(delivery.status);
    },
  };
  return { deliveries, records };
}

const msg = { seq: 7, info: { deliveryCount: 1 } } as unknown as JsMsg;

test("a delivery whose record fails for a moment is recorded on a later try, and the file is sent once", async () => {
  const { uploads, sessions } = partner();
  const { deliveries, records } = deliveriesFailing(2);
  await handlerWith(deliveries, sessions)(event, msg);
  assert.equal(uploads.length, 1);
  assert.deepEqual(records, ["delivered"]);
});

test("a delivery that cannot be recorded is not a failed push: the event comes back later, not to the dead-letter stream", async () => {
  const { uploads, sessions } = partner();
  const { deliveries, records } = deliveriesFailing(Number.POSITIVE_INFINITY);
  const error = await handlerWith(deliveries, sessions)(event, msg).then(
    () => assert.fail("the event must come back"),
    (e: unknown) => e,
  );
  assert.ok(error instanceof RetryLater);
  assert.equal(error.delayMs, 5_000);
  assert.match(error.message, /delivered to \/invoice\.xml, but/);
  assert.match(error.message, /could not be recorded: KV write timed out/);
  assert.equal(uploads.length, 1, "sent once");
  assert.deepEqual(records, []);
});

test("a version another instance is delivering (its claim holds) is not sent: the event comes back later", async () => {
  const { uploads, sessions } = partner();
  const { deliveries, records } = deliveriesFailing(0, { claimed: false });
  const error = await handlerWith(deliveries, sessions)(event, msg).then(
    () => assert.fail("the event must come back"),
    (e: unknown) => e,
  );
  assert.ok(error instanceof RetryLater);
  assert.match(error.message, /another outbound instance is delivering this file/);
  assert.equal(uploads.length, 0, "not sent");
  assert.deepEqual(records, []);
});
