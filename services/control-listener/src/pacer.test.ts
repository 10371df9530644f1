import assert from "node:assert/strict";
import { test } from "node:test";
import { createPacer, paced } from "./pacer.js";

function fakeClock() {
  const clock = {
    time: 0,
    sleeps: [] as number[],
    now: () => clock.time,
    sleep: async (ms: number) => {
      clock.sleeps.push(Math.round(ms));
      clock.time += ms;
    },
  };
  return clock;
}

test("pacer - no limit, no pacer", () => {
  assert.equal(createPacer(0), undefined);
});

test("pacer - waits until the bytes so far are due at the rate", async () => {
  const clock = fakeClock();
  const pace = createPacer(1_000, clock);
  assert.ok(pace);
  await pace(500); // 0.5 s worth
  await pace(500); // 1 s worth
  clock.time += 5_000; // a slow peer: it may catch up by one second's worth, no more
  await pace(1_000);
  await pace(1_000);
  assert.deepEqual(clock.sleeps, [500, 500, 1_000]);
});

test("pacer - paced() passes every chunk through, in order", async () => {
  const clock = fakeClock();
  async function* source() {
    yield Buffer.from("ab");
    yield Buffer.from("cd");
  }
  const out: string[] = [];
  for await (const chunk of paced(source(), createPacer(2, clock))) out.push(Buffer.from(chunk).toString());
  assert.deepEqual(out, ["ab", "cd"]);
  assert.deepEqual(clock.sleeps, [1_000, 1_000]);
});
