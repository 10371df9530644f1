import assert from "node:assert/strict";
import { test } from "node:test";
import type { StreamEnd } from "../upload-tls.js";
import { uploadComplete } from "./stor.js";

type Row = [end: StreamEnd, tls: boolean, policy: "lenient" | "strict", complete: boolean];

// Every combination, so a new case in uploadComplete cannot slip through untested.
const table: Row[] = [
  ["close_notify", true, "strict", true],
  ["close_notify", true, "lenient", true],
  ["close_notify", false, "strict", true],
  ["close_notify", false, "lenient", true],
  ["fin", true, "strict", false],
  ["fin", true, "lenient", true],
  ["fin", false, "strict", true],
  ["fin", false, "lenient", true],
  ["reset", true, "strict", false],
  ["reset", true, "lenient", false],
  ["reset", false, "strict", false],
  ["reset", false, "lenient", false],
  ["open", true, "strict", false],
  ["open", true, "lenient", false],
  ["open", false, "strict", false],
  ["open", false, "lenient", false],
];

test("stor - uploadComplete by stream end, TLS and policy", () => {
  for (const [end, tls, policy, complete] of table) {
    assert.equal(uploadComplete(end, tls, policy), complete, `end=${end} tls=${tls} policy=${policy}`);
  }
});

test("stor - a bare FIN over TLS is refused only by the strict policy", () => {
  assert.equal(uploadComplete("fin", true, "strict"), false);
  assert.equal(uploadComplete("fin", true, "lenient"), true);
});

test("stor - a reset is never complete", () => {
  for (const tls of [true, false]) {
    for (const policy of ["lenient", "strict"] as const) assert.equal(uploadComplete("reset", tls, policy), false);
  }
});
