import assert from "node:assert/strict";
import { test } from "node:test";
import { type ErrorCode, errorCodes, WharfError } from "@wharf/contracts";
import { replyFor } from "./reply-codes.js";

const allCodes = Object.keys(errorCodes) as ErrorCode[];
const secretPath = "/var/lib/wharf/files/alice/in/secret.txt";

test("reply codes - every WharfError code maps to a 4xx or 5xx reply with text", () => {
  for (const code of allCodes) {
    const reply = replyFor(new WharfError(code, "detail"));
    assert.ok(reply, code);
    assert.ok(reply.code >= 400 && reply.code <= 599, `${code} -> ${reply.code}`);
    assert.ok(reply.text.length > 0, code);
  }
});

test("reply codes - the well-known mappings", () => {
  const codeOf = (code: ErrorCode) => replyFor(new WharfError(code, "x")).code;
  assert.equal(codeOf("WHARF_NOT_FOUND"), 550);
  assert.equal(codeOf("WHARF_INVALID_PATH"), 553);
  assert.equal(codeOf("WHARF_INVALID_ARGUMENT"), 501);
  assert.equal(codeOf("WHARF_AUTH_INVALID_CREDENTIALS"), 530);
  assert.equal(codeOf("WHARF_TRANSFER_ABORTED"), 426);
  assert.equal(codeOf("WHARF_STORAGE_FULL"), 452);
  assert.equal(codeOf("WHARF_UNAVAILABLE"), 451);
});

test("reply codes - an unknown error becomes 451", () => {
  for (const reason of [new Error(`ENOENT: ${secretPath}`), "boom", undefined, { code: "WHARF_NOT_FOUND" }]) {
    assert.equal(replyFor(reason).code, 451);
  }
});

test("reply codes - no reply text carries the error's message or a path", () => {
  for (const code of allCodes) {
    const { text } = replyFor(new WharfError(code, `failed at ${secretPath}`, { cause: new Error(secretPath) }));
    assert.equal(text.includes("secret"), false, code);
    assert.doesNotMatch(text, /[/\\]/, code);
  }
  assert.doesNotMatch(replyFor(new Error(secretPath)).text, /[/\\]/);
});
