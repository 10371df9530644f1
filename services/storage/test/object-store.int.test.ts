/**
 * What only the object-store backend has to get right, beyond the contract
 * suite: several instances sharing it, and recovery that never frees an
 * object a name still holds.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { Objm } from "@nats-io/obj";
import { connectBus, type NatsConnection } from "@wharf/bus";
import { buckets } from "@wharf/contracts";
import { createLogger } from "@wharf/telemetry";
import { startNatsServer, type TestNatsServer, waitFor } from "@wharf/testing";
import type { FileStore, Location } from "../src/file-store.js";
import { createObjectStore } from "../src/object-store.js";

let nats: TestNatsServer;
let nc: NatsConnection;
const options = { partialTtlMs: 3_600_000 };

before(async () => {
  nats = await startNatsServer();
  nc = await connectBus({ url: nats.url, name: "object-store-test" }, createLogger({ service: "object-store-test", level: "silent" }));
});

after(async () => {
  await nc.close();
  await nats.stop();
});

let uploads = 0;
/** Writes bytes to a temp of `store` and commits them to `location`; resolves with the pending commit. */
async function stage(store: FileStore, location: Location, text: string, beforePlace?: () => Promise<void>) {
  const temp = await store.createTemp(`up-${++uploads}`, location);
  await temp.write([Buffer.from(text)]);
  await temp.finish();
  return store.commitUpload(temp, location, { record: { uploadId: `up-${uploads}` }, ...(beforePlace ? { beforePlace } : {}) });
}

async function text(store: FileStore, location: Location): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of await store.openRead(location, 0)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
}

const stateKeys = async (filter: string) => {
  const keys: string[] = [];
  for await (const key of await (await new Kvm(nc).open(buckets.objectState)).keys(filter)) keys.push(key);
  return keys;
};

test("object store - a commit cut after it was put in place, then renamed by someone, is finished at restart, not undone", async () => {
  const store = await createObjectStore(nc, { ...options, instanceId: "a" });
  await store.mkdir({ root: "r1", path: "/in" });
  await stage(store, { root: "r1", path: "/in/new.txt" }, "committed"); // never confirmed: the process "died"
  await store.rename({ root: "r1", path: "/in/new.txt" }, "/in/archived.txt");
  const restarted = await createObjectStore(nc, { ...options, instanceId: "a" });
  const report = await restarted.recover({ atStart: true });
  assert.deepEqual({ undone: report.undone, committed: report.committed.length }, { undone: 0, committed: 1 });
  for (const commit of report.committed) await commit.done();
  assert.equal(await text(restarted, { root: "r1", path: "/in/archived.txt" }), "committed");
  assert.deepEqual(await stateKeys("j.*"), []);
});

test("object store - two instances creating one new name: the later replaces the earlier instead of being refused", async () => {
  const a = await createObjectStore(nc, { ...options, instanceId: "a" });
  const b = await createObjectStore(nc, { ...options, instanceId: "b" });
  const name = { root: "r2", path: "/both.txt" };
  // B has looked at the name (free) when A commits it: B's create then finds it taken.
  const fromB = await stage(b, name, "from b", async () => {
    const fromA = await stage(a, name, "from a");
    await fromA.confirm();
  });
  assert.equal(fromB.replacedSize, "from a".length);
  await fromB.confirm();
  assert.equal(await text(a, name), "from b");
});

test("object store - the trash never frees an object a name still holds", async () => {
  const store = await createObjectStore(nc, { ...options, instanceId: "c", staleMs: 1 });
  await (await stage(store, { root: "r3", path: "/a.txt" }, "shared bytes")).confirm();
  // As a crash between a rename's two steps leaves it: a second name holding the same object.
  const tree = await new Kvm(nc).open(buckets.tree);
  const key = (path: string) => ["r3", path].map((part) => Buffer.from(part).toString("base64url")).join(".");
  const entry = await tree.get(key("a.txt"));
  assert.ok(entry);
  await tree.put(key("b.txt"), entry.value);
  await store.delete({ root: "r3", path: "/a.txt" });
  await waitFor(async () => {
    await store.recover({ atStart: false });
    return (await stateKeys("t.*")).length === 0 ? true : undefined;
  }, { what: "the trash to be emptied" });
  assert.equal(await text(store, { root: "r3", path: "/b.txt" }), "shared bytes");
  // Deleting the last name frees it for good.
  await store.delete({ root: "r3", path: "/b.txt" });
  await waitFor(async () => {
    await store.recover({ atStart: false });
    return (await stateKeys("t.*")).length === 0 ? true : undefined;
  }, { what: "the trash to be emptied again" });
  const objectName = (JSON.parse(Buffer.from(entry.value).toString()) as { o: string }).o;
  assert.equal(await (await new Objm(nc).open(buckets.objects)).info(objectName), null, "the object is gone");
});

test("object store - finished uploads and removed names leave no delete markers behind in the tree and state buckets", async () => {
  const store = await createObjectStore(nc, { ...options, instanceId: "d" });
  const jsm = await jetstreamManager(nc);
  const count = async (bucket: string) => {
    let keys = 0;
    for await (const _ of await (await new Kvm(nc).open(bucket)).keys()) keys++;
    return { keys, messages: (await jsm.streams.info(`KV_${bucket}`)).state.messages };
  };
  for (let round = 0; round < 3; round++) await (await stage(store, { root: "r4", path: "/again.txt" }, `round ${round}`)).confirm();
  await store.mkdir({ root: "r4", path: "/gone" });
  await store.rmdir({ root: "r4", path: "/gone" });
  await (await stage(store, { root: "r4", path: "/deleted.txt" }, "short-lived")).confirm();
  await store.delete({ root: "r4", path: "/deleted.txt" });
  for (const bucket of [buckets.tree, buckets.objectState]) {
    const { keys, messages } = await count(bucket);
    assert.equal(messages, keys, `${bucket}: one message per live key`);
  }
});
