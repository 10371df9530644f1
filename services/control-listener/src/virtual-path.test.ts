import assert from "node:assert/strict";
import { test } from "node:test";
import { resolveVirtualPath } from "./virtual-path.js";

test("virtual path - a relative argument is joined to the folder", () => {
  assert.equal(resolveVirtualPath("/", "in"), "/in");
  assert.equal(resolveVirtualPath("/in", "a.txt"), "/in/a.txt");
  assert.equal(resolveVirtualPath("/in", "sub/a.txt"), "/in/sub/a.txt");
});

test("virtual path - an absolute argument ignores the folder", () => {
  assert.equal(resolveVirtualPath("/in", "/out/b.txt"), "/out/b.txt");
});

test("virtual path - empty, '.', repeated and trailing slashes normalize", () => {
  assert.equal(resolveVirtualPath("/in", ""), "/in");
  assert.equal(resolveVirtualPath("/in", "."), "/in");
  assert.equal(resolveVirtualPath("/in", ".//a//./b/"), "/in/a/b");
  assert.equal(resolveVirtualPath("/", "/"), "/");
});

test("virtual path - '..' climbs one folder", () => {
  assert.equal(resolveVirtualPath("/in/sub", ".."), "/in");
  assert.equal(resolveVirtualPath("/in/sub", "../other/x"), "/in/other/x");
  assert.equal(resolveVirtualPath("/", "a/b/../c"), "/a/c");
});

test("virtual path - '..' never climbs above '/'", () => {
  assert.equal(resolveVirtualPath("/in", "../../.."), "/");
  assert.equal(resolveVirtualPath("/", ".."), "/");
  assert.equal(resolveVirtualPath("/in", "/../../etc/passwd"), "/etc/passwd");
  assert.equal(resolveVirtualPath("/a", "../../../a/../../b"), "/b");
});

test("virtual path - names that only look special are kept", () => {
  assert.equal(resolveVirtualPath("/", "..."), "/...");
  assert.equal(resolveVirtualPath("/", "..a/.b"), "/..a/.b");
  assert.equal(resolveVirtualPath("/", 'a b/"q"'), '/a b/"q"');
});
