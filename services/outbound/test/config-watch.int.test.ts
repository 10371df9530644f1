import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Kvm } from "@nats-io/kv";
import { connectBus, type NatsConnection } from "@wharf/bus";
import { buckets, PipelineConfig } from "@wharf/contracts";
import { createLogger } from "@wharf/telemetry";
import { startNatsServer, type TestNatsServer, waitFor } from "@wharf/testing";
import { watchOutboundSettings } from "../src/config-watch.js";

const log = createLogger({ service: "config-watch-test", level: "silent" });
let nats: TestNatsServer;
let nc: NatsConnection;
before(async () => {
  nats = await startNatsServer();
  nc = await connectBus({ url: nats.url, name: "config-watch-test" }, log);
});
after(async () => {
  await nc.close();
  await nats.stop();
});

test("a pipeline rewritten with a value this version cannot read keeps its last readable settings; a removed one goes", async () => {
  const settings = await watchOutboundSettings(nc, log);
  try {
    const kv = await new Kvm(nc).create(buckets.pipelines, { history: 5 });
    const pipeline = PipelineConfig.parse({ name: "to-acme", source: { root: "acme" }, target: "acme" });
    await kv.put(pipeline.name, JSON.stringify(pipeline));
    await waitFor(() => settings.pipelines().find((candidate) => candidate.name === "to-acme"), { what: "the pipeline" });
    // As a newer CLI might write it: a field this version's strict schema does not know.
    await kv.put(pipeline.name, JSON.stringify({ ...pipeline, priority: "high" }));
    // A later write to another key, seen after the one above (the watch keeps the bucket's order).
    const marker = PipelineConfig.parse({ name: "marker", source: { root: "other" }, target: "acme" });
    await kv.put(marker.name, JSON.stringify(marker));
    await waitFor(() => settings.pipelines().find((candidate) => candidate.name === "marker"), { what: "the marker" });
    assert.deepEqual(
      settings.pipelines().find((candidate) => candidate.name === "to-acme"),
      pipeline,
      "kept as last read",
    );
    await kv.delete(pipeline.name);
    await waitFor(() => (settings.pipelines().some((candidate) => candidate.name === "to-acme") ? undefined : true), { what: "the removal" });
  } finally {
    settings.stop();
  }
});
