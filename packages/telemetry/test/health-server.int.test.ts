import assert from "node:assert/strict";
import { test } from "node:test";
import { Counter } from "prom-client";
import { createMetricsRegistry, startHealthServer } from "../src/index.js";

test("health server - /metrics, /healthz, and /readyz that follows readiness", async () => {
  const registry = createMetricsRegistry("unit");
  new Counter({ name: "wharf_test_things_total", help: "Things.", registers: [registry] }).inc(3);
  let ready = false;
  const server = await startHealthServer({ port: 0, host: "127.0.0.1", registry, isReady: () => ready });
  const get = (path: string, method = "GET") => fetch(`http://127.0.0.1:${server.port}${path}`, { method });
  try {
    const metrics = await get("/metrics");
    assert.equal(metrics.status, 200);
    assert.match(metrics.headers.get("content-type") ?? "", /^text\/plain/);
    const text = await metrics.text();
    assert.match(text, /^wharf_test_things_total\{service="unit"\} 3$/m);
    assert.match(text, /^process_cpu_seconds_total\{service="unit"\} /m);
    assert.equal((await get("/healthz")).status, 200);
    assert.equal((await get("/readyz")).status, 503);
    ready = true;
    assert.equal((await get("/readyz")).status, 200);
    assert.equal((await get("/nope")).status, 404);
    assert.equal((await get("/metrics", "POST")).status, 405);
  } finally {
    await server.close();
  }
});
