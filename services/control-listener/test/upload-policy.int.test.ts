import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { runPython } from "@wharf/testing";
import { type ListenerStack, PASSWORD, startListenerStack, USER } from "./harness.js";

let stack: ListenerStack;
before(async () => {
  stack = await startListenerStack({ uploadEndPolicy: "strict" });
});
after(() => stack.stop());

async function storEndingWith(path: string, ending: "fin" | "close_notify") {
  const reply = await runPython("ftp_session.py", ["127.0.0.1", String(stack.port), USER, PASSWORD, "STOR", path, "100000", ending]);
  return Number(reply.trim());
}

test("strict port - a bare FIN without close_notify is an incomplete upload: 426, no file, no event", async () => {
  assert.equal(await storEndingWith("/strict-fin.bin", "fin"), 426);
  await assert.rejects(readFile(join(stack.dataDir, "storage/files", USER, "strict-fin.bin")), { code: "ENOENT" });
  assert.equal((await stack.eventsFor("/strict-fin.bin")).length, 0);
});

test("strict port - close_notify completes the upload", async () => {
  assert.equal(await storEndingWith("/strict-ok.bin", "close_notify"), 226);
  assert.equal((await stack.eventsFor("/strict-ok.bin")).length, 1);
});
