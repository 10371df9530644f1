import assert from "node:assert/strict";
import { test } from "node:test";
import { normalizeFolder, permits } from "./permissions.js";

const rules = [
  { path: "/", permissions: ["list"] },
  { path: "/inbox", permissions: ["list", "write"] },
  { path: "/inbox/archive", permissions: ["list", "read"] },
  { path: "/outbox", permissions: ["*"] },
];

test("no rules allow everything", () => {
  assert.equal(permits([], "/a/b", "delete"), true);
});

test("the deepest folder containing the path decides, for reads on the path itself", () => {
  assert.equal(permits(rules, "/", "list"), true);
  assert.equal(permits(rules, "/report.csv", "read"), false);
  assert.equal(permits(rules, "/inbox/a.csv", "read"), false);
  assert.equal(permits(rules, "/inbox/archive/a.csv", "read"), true);
  assert.equal(permits(rules, "/outbox/deep/x", "read"), true);
  // A sibling with a common prefix is not inside the folder.
  assert.equal(permits(rules, "/inboxes/a.csv", "read"), false);
});

test("changes are checked on the folder the entry is in", () => {
  assert.equal(permits(rules, "/inbox/a.csv", "write"), true);
  assert.equal(permits(rules, "/inbox/archive/a.csv", "write"), false);
  assert.equal(permits(rules, "/inbox", "delete"), false); // removing /inbox changes "/"
  assert.equal(permits(rules, "/outbox/new", "mkdir"), true);
  assert.equal(permits(rules, "/inbox/a.csv", "overwrite"), false);
});

test("rules that cover no folder above the path grant nothing", () => {
  assert.equal(permits([{ path: "/only", permissions: ["*"] }], "/other/x", "read"), false);
});

test("a folder with rules at or below it cannot be moved", async () => {
  const { hasRulesWithin } = await import("./permissions.js");
  assert.equal(hasRulesWithin(rules, "/inbox"), true);
  assert.equal(hasRulesWithin(rules, "/inbox/archive"), true);
  assert.equal(hasRulesWithin(rules, "/inbox/other"), false);
  assert.equal(hasRulesWithin(rules, "/in"), false, "a common prefix is not a parent");
  assert.equal(hasRulesWithin([], "/anything"), false);
});

test("folders are normalized", () => {
  assert.equal(normalizeFolder("in/"), "/in");
  assert.equal(normalizeFolder("/a//b/../c"), "/a/c");
  assert.equal(normalizeFolder("/"), "/");
  assert.equal(normalizeFolder(""), "/");
});
