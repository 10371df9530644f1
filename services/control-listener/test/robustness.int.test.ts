import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { readFile, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { dataTls, passivePort, RawFtpControl, runPython, waitFor } from "@wharf/testing";
import { type ListenerStack, PASSWORD, startListenerStack, USER, logIn } from "./harness.js";

let stack: ListenerStack;
before(async () => {
  stack = await startListenerStack({ dataTimeoutMs: 1_000 });
});
after(() => stack.stop());

const stored = (path: string) => join(stack.dataDir, "storage/files", USER, path);
const uploads = async (outcome: string) =>
  (await stack.registry.getSingleMetric("wharf_ftp_transfers_total")?.get())?.values
    .filter((value) => value.labels.direction === "upload" && value.labels.outcome === outcome)
    .reduce((sum, value) => sum + value.value, 0) ?? 0;
const loggedIn = () => logIn(stack);

test("pipelining - a hundred commands in one go are all answered, in order", async () => {
  const control = await RawFtpControl.connect(stack.port);
  await control.read();
  control.send("NOOP\r\n".repeat(100));
  for (let i = 0; i < 100; i++) assert.equal((await control.read()).code, 200, `reply ${i}`);
  control.close();
});

test("pipelining - a client that floods commands without reading is cut off with 421", async () => {
  const control = await RawFtpControl.connect(stack.port);
  await control.read();
  control.send("NOOP\r\n".repeat(5_000));
  let last = await control.read();
  while (last.code === 200) last = await control.read();
  assert.equal(last.code, 421);
  await control.closed();
});

test("stall - an upload that stops sending gets 426 after the data timeout; nothing stored", async () => {
  const control = await loggedIn();
  const port = passivePort(await control.command("EPSV"));
  const raw = connect({ port, host: "127.0.0.1" });
  await once(raw, "connect");
  control.send("STOR /stalled.bin\r\n");
  assert.equal((await control.read()).code, 150);
  const secure = await dataTls(raw, control);
  secure.write(randomBytes(100_000));
  // …and nothing more: the server must give up on its own.
  assert.equal((await control.read(10_000)).code, 426);
  await assert.rejects(readFile(stored("stalled.bin")), { code: "ENOENT" });
  assert.equal((await stack.eventsFor("/stalled.bin")).length, 0);
  assert.equal((await control.command("NOOP")).code, 200);
  secure.destroy();
  control.close();
});

test("cut download - a client that resets the data connection mid-download gets 426, not 226", async () => {
  await writeFile(stored("large.bin"), randomBytes(8 * 1024 * 1024));
  const reply = await runPython("ftp_session.py", ["127.0.0.1", String(stack.port), USER, PASSWORD, "RETR", "/large.bin", String(256 * 1024), "reset"]);
  assert.equal(reply.trim(), "426");
});

test("killed client - a data FIN together with the control connection closing is a cut, not an upload", async () => {
  const okBefore = await uploads("ok");
  const before = await uploads("aborted");
  const said = await runPython("ftp_session.py", ["127.0.0.1", String(stack.port), USER, PASSWORD, "STOR", "/killed.bin", "300000", "fin", "--close-control"]);
  assert.equal(said.trim(), "closed");
  await waitFor(async () => ((await uploads("aborted")) > before ? true : undefined), { what: "the listener to count the upload as aborted" });
  assert.equal(await uploads("ok"), okBefore);
  await assert.rejects(readFile(stored("killed.bin")), { code: "ENOENT" });
  assert.equal((await stack.eventsFor("/killed.bin")).length, 0);
});

test("STOR onto an existing folder is refused with 550 before any data", async () => {
  const control = await loggedIn();
  assert.equal((await control.command("MKD /a-folder")).code, 257);
  await control.command("EPSV");
  assert.equal((await control.command("STOR /a-folder")).code, 550);
  control.close();
});
