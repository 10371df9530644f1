import assert from "node:assert/strict";
import { test } from "node:test";
import { connectBus } from "@wharf/bus";
import { buckets, SessionCountRecord } from "@wharf/contracts";
import { createLogger } from "@wharf/telemetry";
import { useTestBus } from "@wharf/testing";
import { Kvm } from "@nats-io/kv";
import { createSessionLimits, openSessionCounts, type Release, type SessionLimits } from "../src/session-limits.js";

const log = createLogger({ service: "test", level: "silent" });
const bus = useTestBus("session-limits-test");

/** Two listeners sharing the bucket. */
async function twoListeners(options: { leaseMs?: number; later?: number } = {}): Promise<[SessionLimits, SessionLimits]> {
  const kv = await openSessionCounts(bus.nc);
  return [
    createSessionLimits(kv, { holderId: "listener-a", log, ...(options.leaseMs ? { leaseMs: options.leaseMs } : {}) }),
    createSessionLimits(kv, { holderId: "listener-b", log, now: () => Date.now() + (options.later ?? 0) }),
  ];
}

const holders = async (key: string) => {
  const entry = await (await new Kvm(bus.nc).open(buckets.sessions)).get(key);
  return SessionCountRecord.parse(entry?.json()).holders;
};

test("a limit holds across listeners: the third claim of two is refused wherever it is made, and a release frees a place", async () => {
  const [a, b] = await twoListeners();
  const key = "ip.ftps.192.0.2.10";
  const first = await a.claim(key, 2);
  const second = await b.claim(key, 2);
  assert.ok(first && second);
  assert.equal(await a.claim(key, 2), undefined);
  assert.equal(await b.claim(key, 2), undefined);
  assert.deepEqual(Object.fromEntries(Object.entries(await holders(key)).map(([id, holder]) => [id, holder.count])), { "listener-a": 1, "listener-b": 1 });
  await first();
  await first();
  const third = await b.claim(key, 2);
  assert.ok(third, "a's release gave its place back");
  assert.deepEqual(Object.keys(await holders(key)), ["listener-b"]);
  await Promise.all([second(), third()]);
  await Promise.all([a.stop(), b.stop()]);
  assert.deepEqual(await holders(key), {});
});

test("claims made at the same moment on two listeners never exceed the limit", async () => {
  const [a, b] = await twoListeners();
  const key = "user.racer";
  const claims = await Promise.all(Array.from({ length: 20 }, (_, index) => (index % 2 === 0 ? a : b).claim(key, 5)));
  const granted = claims.filter((release): release is Release => release !== undefined);
  assert.equal(granted.length, 5);
  const counts = Object.values(await holders(key)).reduce((sum, holder) => sum + holder.count, 0);
  assert.equal(counts, 5);
  await Promise.all(granted.map((release) => release()));
  await Promise.all([a.stop(), b.stop()]);
});

test("a listener that died stops counting once its lease has run out", async () => {
  const [dead, alive] = await twoListeners({ leaseMs: 1_000, later: 1_500 });
  const key = "ip.ftps.192.0.2.20";
  assert.ok(await dead.claim(key, 1));
  // `alive`'s clock is 1.5 s ahead: the dead listener's lease (1 s) is over for it.
  const claimed = await alive.claim(key, 1);
  assert.ok(claimed, "the expired lease no longer counts");
  assert.deepEqual(Object.keys(await holders(key)), ["listener-b"]);
  await claimed();
  await Promise.all([dead.stop(), alive.stop()]);
});

test("without the bus, a listener's own count decides and the fallback is counted", async () => {
  const other = await connectBus({ url: bus.url, name: "closing" }, log);
  const kv = await openSessionCounts(other);
  await other.close();
  let fallbacks = 0;
  const alone = createSessionLimits(kv, { holderId: "alone", log, onFallback: () => fallbacks++ });
  const key = "ip.ftps.192.0.2.30";
  assert.ok(await alone.claim(key, 2));
  assert.ok(await alone.claim(key, 2));
  assert.equal(await alone.claim(key, 2), undefined);
  assert.equal(fallbacks, 2);
  await alone.stop();
});
