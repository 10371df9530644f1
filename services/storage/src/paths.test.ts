import assert from "node:assert/strict";
import { test } from "node:test";
import { WharfError } from "@wharf/contracts";
import { diskPath, normalizeVirtualPath, rootFolder } from "./paths.js";

const refusedWith = (code: string) => (error: unknown) => error instanceof WharfError && error.code === code;

test("paths - normalizes slashes and dots inside the root", () => {
  assert.equal(normalizeVirtualPath("/"), "/");
  assert.equal(normalizeVirtualPath("//in///a.txt"), "/in/a.txt");
  assert.equal(normalizeVirtualPath("/in/./a.txt/"), "/in/a.txt");
  assert.equal(normalizeVirtualPath('/a"b'), '/a"b');
  assert.equal(normalizeVirtualPath("/..\\..\\x"), "/..\\..\\x");
});

test("paths - refuses .., relative paths, NUL and over-long names", () => {
  assert.throws(() => normalizeVirtualPath("/../etc/passwd"), refusedWith("WHARF_INVALID_PATH"));
  assert.throws(() => normalizeVirtualPath("/in/../../x"), refusedWith("WHARF_INVALID_PATH"));
  assert.throws(() => normalizeVirtualPath("etc/passwd"), refusedWith("WHARF_INVALID_PATH"));
  assert.throws(() => normalizeVirtualPath("/a\0b"), refusedWith("WHARF_INVALID_PATH"));
  assert.throws(() => normalizeVirtualPath(`/${"n".repeat(256)}`), refusedWith("WHARF_INVALID_PATH"));
  assert.equal(normalizeVirtualPath(`/${"n".repeat(255)}`).length, 256);
  assert.throws(() => normalizeVirtualPath(`/${"d/".repeat(2100)}`), refusedWith("WHARF_INVALID_PATH"));
});

test("paths - roots are plain names under the files folder", () => {
  assert.equal(rootFolder("/data/files", "alice"), "/data/files/alice");
  assert.equal(diskPath("/data/files/alice", "/in/a.txt"), "/data/files/alice/in/a.txt");
  for (const bad of ["", "..", "../bob", "a/b", ".hidden", "/abs"]) {
    assert.throws(() => rootFolder("/data/files", bad), refusedWith("WHARF_INVALID_PATH"), bad);
  }
});
