import assert from "node:assert/strict";
import { test } from "node:test";
import { PipelineConfig } from "@wharf/contracts";
import { backoffMs } from "./file-stored.js";

test("backoff - doubles per try from the initial delay, capped, with half of it random", () => {
  const pipeline = PipelineConfig.parse({ name: "p", target: "e", retry: { initialDelayMs: 1_000, maxDelayMs: 6_000 } });
  const fixed = (attempt: number) => [backoffMs(pipeline, attempt, () => 0), backoffMs(pipeline, attempt, () => 1)];
  assert.deepEqual(fixed(1), [500, 1_000]);
  assert.deepEqual(fixed(2), [1_000, 2_000]);
  assert.deepEqual(fixed(3), [2_000, 4_000]);
  assert.deepEqual(fixed(4), [3_000, 6_000], "capped at maxDelayMs");
  assert.deepEqual(fixed(40), [3_000, 6_000], "no overflow");
});
