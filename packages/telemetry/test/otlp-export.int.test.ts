import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { startTracing } from "../src/index.js";

test("tracing - with an OTLP endpoint set, finished spans are posted to <endpoint>/v1/traces", async () => {
  const received: Array<{ url: string | undefined; type: string | undefined; body: Buffer }> = [];
  const collector = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      received.push({ url: req.url, type: req.headers["content-type"], body: Buffer.concat(chunks) });
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  collector.listen(0, "127.0.0.1");
  await once(collector, "listening");
  const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
  try {
    const tracing = startTracing({ service: "otlp-test", otlpEndpoint: endpoint });
    tracing.tracer.startSpan("wharf test span").end();
    await tracing.shutdown(); // flushes the batch
    assert.equal(received.length, 1);
    assert.equal(received[0]?.url, "/v1/traces");
    assert.ok(received[0]?.body.includes(Buffer.from("wharf test span")), "the span's name is in the export");
    assert.ok(received[0]?.body.includes(Buffer.from("otlp-test")), "the service name is in the export");
  } finally {
    collector.close();
  }
});
