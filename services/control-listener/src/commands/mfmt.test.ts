import assert from "node:assert/strict";
import { test } from "node:test";
import { parseTimeVal } from "./mfmt.js";

test("time-val - real UTC dates and times only", () => {
  assert.equal(parseTimeVal("20240229131415"), Date.UTC(2024, 1, 29, 13, 14, 15));
  assert.equal(parseTimeVal("20240229131415.5"), Date.UTC(2024, 1, 29, 13, 14, 15, 500));
  for (const bad of ["20230229000000", "20241301000000", "20240101240000", "20240101006000", "2024010100000", "abc", ""]) assert.equal(parseTimeVal(bad), undefined, bad);
});
