import assert from "node:assert/strict";
import { test } from "node:test";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { ensureStream, scanSubjects } from "@wharf/bus";
import { useTestBus, waitFor } from "@wharf/testing";
import { readObject } from "../src/object-io.js";

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

test("an object read whose scan ends short (a consumer on a node still catching up) scans again and goes on from where it stopped", async () => {
  await ensureStream(bus.nc, { name: "OBJ_shortread", subjects: ["$O.shortread.>"] });
  const js = jetstream(bus.nc);
  const jsm = await jetstreamManager(bus.nc);
  const bucket = { name: "shortread", stream: "OBJ_shortread", js, jsm };
  const chunks = [Buffer.from("first-"), Buffer.from("second-"), Buffer.from("third")];
  await js.publish("$O.shortread.C.n1", chunks[0] as Buffer);
  await js.publish("$O.shortread.C.n1", chunks[1] as Buffer);
  const read = (async () => {
    const parts: Buffer[] = [];
    for await (const part of readObject(bucket, { name: "o", nuid: "n1", size: 18, chunks: 3 }, 2)) parts.push(part as Buffer);
    return Buffer.concat(parts).toString();
  })();
  // The first scan sees two chunks and ends (its consumer is removed); only then does the third arrive.
  await waitFor(async () => ((await jsm.consumers.list("OBJ_shortread").next()).length > 0 ? true : undefined), { what: "the first scan" });
  await waitFor(async () => ((await jsm.consumers.list("OBJ_shortread").next()).length === 0 ? true : undefined), { what: "the first scan to end" });
  await js.publish("$O.shortread.C.n1", chunks[2] as Buffer);
  assert.equal(await read, "rst-second-third", "from offset 2, every byte once");
});

test("an object with a chunk gone stays an error after its scans, never a short file", async () => {
  await ensureStream(bus.nc, { name: "OBJ_gone", subjects: ["$O.gone.>"] });
  const js = jetstream(bus.nc);
  const bucket = { name: "gone", stream: "OBJ_gone", js, jsm: await jetstreamManager(bus.nc) };
  await js.publish("$O.gone.C.n2", "only one of two");
  const failure = await (async () => {
    for await (const _part of readObject(bucket, { name: "o", nuid: "n2", size: 30, chunks: 2 }, 0));
  })().then(
    () => undefined,
    (error: Error) => error,
  );
  assert.match(String(failure?.message), /the stored object is incomplete/);
});
