import assert from "node:assert/strict";
import { test } from "node:test";
import { createKeyedLimits } from "./keyed-limits.js";

test("keyed limits - at most `limit` holders per key, the rest in order; keys are apart", async () => {
  const limits = createKeyedLimits();
  const order: string[] = [];
  const first = await limits.acquire("partner", 2);
  const second = await limits.acquire("partner", 2);
  const third = limits.acquire("partner", 2).then((release) => {
    order.push("third");
    return release;
  });
  const fourth = limits.acquire("partner", 2).then((release) => {
    order.push("fourth");
    return release;
  });
  const other = await limits.acquire("other", 2);
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(order, [], "two hold the partner: the others wait");
  first();
  first();
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(order, ["third"], "one release lets one in (a second call of the same release does nothing)");
  second();
  (await third)();
  (await fourth)();
  other();
  const again = await limits.acquire("partner", 1);
  again();
});
