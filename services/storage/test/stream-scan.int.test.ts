import assert from "node:assert/strict";
import { test } from "node:test";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { ensureStream, scanSubjects } from "@wharf/bus";
import { useTestBus } from "@wharf/testing";

const bus = useTestBus("scan-test");

test("a scan whose counted messages are removed under it ends once nothing is left, instead of failing as idle", async () => {
  await ensureStream(bus.nc, { name: "SCAN_GONE", subjects: ["scan.>"] });
  const js = jetstream(bus.nc);
  const jsm = await jetstreamManager(bus.nc);
  for (let index = 0; index < 5; index++) await js.publish(`scan.${index}`, `m${index}`);
  const started = Date.now();
  const seen: string[] = [];
  // Another instance removes what the scan counted at its start (a key and its marker gone) after the first message.
  for await (const message of scanSubjects(js, jsm, "SCAN_GONE", "scan.>", { deliver: "all", batch: 1, idleMs: 20_000 })) {
    seen.push(message.string());
    if (seen.length === 1) await jsm.streams.purge("SCAN_GONE");
  }
  assert.ok(seen.length >= 1 && seen.length < 5, `read ${seen.join(",")}`);
  assert.ok(Date.now() - started < 10_000, "ended when the consumer had nothing left, not after the idle limit");
});

test("a scan reads every message present at its start, in order", async () => {
  await ensureStream(bus.nc, { name: "SCAN_ALL", subjects: ["all.>"] });
  const js = jetstream(bus.nc);
  for (let index = 0; index < 50; index++) await js.publish(`all.${index % 7}`, String(index));
  const seen: string[] = [];
  for await (const message of scanSubjects(js, await jetstreamManager(bus.nc), "SCAN_ALL", "all.>", { deliver: "all", batch: 8 })) seen.push(message.string());
  assert.deepEqual(seen, Array.from({ length: 50 }, (_, index) => String(index)));
});
