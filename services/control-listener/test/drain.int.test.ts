/**
 * Issue 8, item 3: a stopping listener drains. It stops accepting; idle
 * sessions get 421 at once; a transfer that is running finishes (226), and
 * only then does its session get 421; a transfer still running at the drain's
 * deadline is cut, and nothing half-stored is left.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { dataTls, RawFtpControl } from "@wharf/testing";
import { type ListenerStack, logIn, openDataSocket, startListenerStack, USER } from "./harness.js";

const write = (socket: NodeJS.WritableStream, bytes: Buffer) => new Promise<void>((resolve) => socket.write(bytes, () => resolve()));

async function startUpload(stack: ListenerStack, path: string) {
  const control = await logIn(stack);
  assert.equal((await control.command("TYPE I")).code, 200);
  const raw = await openDataSocket(control);
  control.send(`STOR ${path}\r\n`);
  assert.equal((await control.read()).code, 150);
  return { control, data: await dataTls(raw, control) };
}

test("drain: new connections are refused, an idle session gets 421 at once, a running upload ends with 226 and then 421", async () => {
  const stack = await startListenerStack();
  try {
    const idle = await logIn(stack);
    const { control: busy, data } = await startUpload(stack, "drained.bin");
    const first = randomBytes(300_000);
    const second = randomBytes(200_000);
    await write(data, first);
    stack.ftp.stopAccepting();
    const draining = stack.ftp.drainSessions(20_000);
    assert.deepEqual(await idle.read(), { code: 421, text: "421 Service shutting down." });
    await idle.closed();
    await assert.rejects(RawFtpControl.connect(stack.port), { code: "ECONNREFUSED" });
    // The upload goes on and completes.
    data.end(second);
    assert.equal((await busy.read()).code, 226);
    assert.equal((await busy.read()).code, 421);
    await busy.closed();
    await draining;
    const stored = await readFile(join(stack.dataDir, "storage/files", USER, "drained.bin"));
    assert.ok(stored.equals(Buffer.concat([first, second])));
    assert.equal((await stack.eventsFor("/drained.bin")).length, 1);
    const closed = (await stack.registry.getSingleMetric("wharf_ftp_sessions_closed_total")?.get())?.values ?? [];
    assert.equal(closed.filter((value) => value.labels.reason === "shutdown").reduce((sum, value) => sum + value.value, 0), 2);
  } finally {
    await stack.stop();
  }
});

test("drain: an upload still running at the deadline is cut; nothing is stored and its session is closed", async () => {
  const stack = await startListenerStack();
  try {
    const { control, data } = await startUpload(stack, "too-slow.bin");
    await write(data, randomBytes(100_000));
    stack.ftp.stopAccepting();
    // The client sends nothing more: the drain's deadline comes first.
    await stack.ftp.drainSessions(300);
    const replies: number[] = [];
    for (;;) {
      const reply = await control.read().catch(() => undefined);
      if (!reply) break;
      replies.push(reply.code);
    }
    assert.ok(replies.includes(421), `replies ${replies.join(", ")}`);
    assert.ok(!replies.includes(226), "not stored");
    await assert.rejects(readFile(join(stack.dataDir, "storage/files", USER, "too-slow.bin")), { code: "ENOENT" });
    assert.equal((await stack.eventsFor("/too-slow.bin")).length, 0);
  } finally {
    await stack.stop();
  }
});
