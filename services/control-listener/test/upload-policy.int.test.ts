import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { passivePort, RawFtpControl, runPython } from "@wharf/testing";
import { type ListenerStack, PASSWORD, startListenerStack, USER } from "./harness.js";

let stack: ListenerStack;
before(async () => {
  stack = await startListenerStack({ uploadEndPolicy: "strict" });
});
after(() => stack.stop());

async function storEndingWith(path: string, ending: "fin" | "close_notify") {
  const control = await RawFtpControl.connect(stack.port);
  await control.read();
  await control.login(USER, PASSWORD);
  const port = passivePort(await control.command("EPSV"));
  const client = runPython("data_client.py", ["127.0.0.1", String(port), "100000", ending]);
  control.send(`STOR ${path}\r\n`);
  assert.equal((await control.read()).code, 150);
  await client;
  const { code } = await control.read();
  control.close();
  return code;
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
