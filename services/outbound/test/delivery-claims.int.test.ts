import assert from "node:assert/strict";
import { test } from "node:test";
import { useTestBus } from "@wharf/testing";
import { createDeliveries } from "../src/deliveries.js";

const bus = useTestBus("claims-test");

const file = { path: "/out/invoice.xml", sha256: "a".repeat(64), uploadId: "u-1" };

test("one outbound instance at a time may deliver a version; a released or lapsed claim can be taken", async () => {
  let clock = Date.now();
  const deliveries = await createDeliveries(bus.nc, { now: () => clock });
  assert.equal((await deliveries.claim("to-acme", file, "instance-a", 60_000)).granted, true);
  assert.equal((await deliveries.claim("to-acme", file, "instance-b", 60_000)).granted, false, "held by a");
  assert.equal((await deliveries.claim("to-acme", file, "instance-a", 60_000)).granted, true, "a renews its own");
  assert.equal((await deliveries.claim("to-other", file, "instance-b", 60_000)).granted, true, "another pipeline's delivery is its own");
  await deliveries.release("to-acme", file, "instance-b");
  assert.equal((await deliveries.claim("to-acme", file, "instance-b", 60_000)).granted, false, "b cannot release a's claim");
  await deliveries.release("to-acme", file, "instance-a");
  assert.equal((await deliveries.claim("to-acme", file, "instance-b", 60_000)).granted, true, "released");
  clock += 61_000;
  assert.equal((await deliveries.claim("to-acme", file, "instance-c", 60_000)).granted, true, "b's claim lapsed (b died)");
});

test("two instances claiming at the same moment: exactly one gets it", async () => {
  const [a, b] = [await createDeliveries(bus.nc), await createDeliveries(bus.nc)];
  const race = { ...file, uploadId: "u-race" };
  const results = await Promise.all([a.claim("to-acme", race, "a", 60_000), b.claim("to-acme", race, "b", 60_000)]);
  assert.deepEqual(results.map((claim) => claim.granted).sort(), [false, true]);
});

test("a claim noted at the final name and never finished tells the next try, even the same instance after a restart", async () => {
  const deliveries = await createDeliveries(bus.nc);
  const noted = { ...file, uploadId: "u-noted" };
  assert.deepEqual(await deliveries.claim("to-acme", noted, "a", 60_000), { granted: true, interrupted: false });
  await deliveries.markFinalName("to-acme", noted, "a", 60_000);
  // The process died here. Restarted with the same instance id, it takes its claim back, with the note.
  assert.deepEqual(await deliveries.claim("to-acme", noted, "a", 60_000), { granted: true, interrupted: true });
  await deliveries.release("to-acme", noted, "a");
  assert.deepEqual(await deliveries.claim("to-acme", noted, "a", 60_000), { granted: true, interrupted: false }, "a finished try leaves no note");
});
