import assert from "node:assert/strict";
import { test } from "node:test";
import { useTestBus } from "@wharf/testing";
import { createDeliveries } from "../src/deliveries.js";

const bus = useTestBus("claims-test");

const file = { path: "/out/invoice.xml", sha256: "a".repeat(64), uploadId: "u-1" };

test("one outbound instance at a time may deliver a version; a released or lapsed claim can be taken", async () => {
  let clock = Date.now();
  const deliveries = await createDeliveries(bus.nc, { now: () => clock });
  assert.equal(await deliveries.claim("to-acme", file, "instance-a", 60_000), true);
  assert.equal(await deliveries.claim("to-acme", file, "instance-b", 60_000), false, "held by a");
  assert.equal(await deliveries.claim("to-acme", file, "instance-a", 60_000), true, "a renews its own");
  assert.equal(await deliveries.claim("to-other", file, "instance-b", 60_000), true, "another pipeline's delivery is its own");
  await deliveries.release("to-acme", file, "instance-b");
  assert.equal(await deliveries.claim("to-acme", file, "instance-b", 60_000), false, "b cannot release a's claim");
  await deliveries.release("to-acme", file, "instance-a");
  assert.equal(await deliveries.claim("to-acme", file, "instance-b", 60_000), true, "released");
  clock += 61_000;
  assert.equal(await deliveries.claim("to-acme", file, "instance-c", 60_000), true, "b's claim lapsed (b died)");
});

test("two instances claiming at the same moment: exactly one gets it", async () => {
  const [a, b] = [await createDeliveries(bus.nc), await createDeliveries(bus.nc)];
  const race = { ...file, uploadId: "u-race" };
  const results = await Promise.all([a.claim("to-acme", race, "a", 60_000), b.claim("to-acme", race, "b", 60_000)]);
  assert.deepEqual(results.sort(), [false, true]);
});
