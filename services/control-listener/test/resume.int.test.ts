/**
 * Resume of a cut upload (issue 5): a partner's upload is cut by a reset, the
 * bytes that arrived are kept (never shown as the file), and a resuming client
 * asks SIZE, sends REST and the rest, and ends with the whole file and one event.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { runPython, waitFor } from "@wharf/testing";
import { type ListenerStack, logIn, PASSWORD, startListenerStack, USER } from "./harness.js";

const run = promisify(execFile);
let stack: ListenerStack;
before(async () => {
  stack = await startListenerStack();
});
after(() => stack.stop());

test("a cut upload resumes where it stopped: ftplib sends part and resets, curl -C - sends the rest; the file is whole, with one event", async () => {
  const source = randomBytes(4 * 1024 * 1024);
  const local = join(stack.dataDir, "resume-source.bin");
  await writeFile(local, source);
  await runPython("ftplib_client.py", ["cut", "127.0.0.1", String(stack.port), USER, PASSWORD, local, "/resumed.bin", String(3 * 1024 * 1024)]);
  // SIZE answers how much of the cut upload was kept; the file itself is not there.
  const control = await logIn(stack);
  const kept = await waitFor(
    async () => {
      const reply = await control.command("SIZE /resumed.bin");
      return reply.code === 213 ? Number(reply.text.split(" ")[1]) : undefined;
    },
    { what: "the cut upload to be kept" },
  );
  assert.ok(kept > 0 && kept <= 3 * 1024 * 1024, String(kept));
  assert.equal((await control.command("MDTM /resumed.bin")).code, 550, "a partial is never the file");
  control.close();
  await run("curl", ["--silent", "--show-error", "--insecure", "--max-time", "60", "--ssl-reqd", "-u", `${USER}:${PASSWORD}`, "-C", "-", "-T", local, `ftp://127.0.0.1:${stack.port}/resumed.bin`]);
  assert.ok((await readFile(join(stack.dataDir, "storage/files", USER, "resumed.bin"))).equals(source));
  const events = await stack.eventsFor("/resumed.bin");
  assert.equal(events.length, 1);
  assert.equal(events[0]?.sha256, createHash("sha256").update(source).digest("hex"));
});
