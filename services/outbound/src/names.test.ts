import assert from "node:assert/strict";
import { test } from "node:test";
import { isPlainName } from "./names.js";

test("names - only plain names from a partner's listing are taken", () => {
  for (const name of ["invoice-1.xml", "a b.csv", "ünïcode.txt", ".hidden"]) assert.ok(isPlainName(name), name);
  for (const name of ["", ".", "..", "../x", "a/b", "a\\b", "a\rDELE x", "a\nb", "a\u0000b", "a\u007fb"]) assert.ok(!isPlainName(name), JSON.stringify(name));
});
