/**
 * Downloads share one gRPC connection to storage. A partner that stops
 * reading must hold up only its own download, never the others' (HTTP/2
 * flow control is per stream and per connection).
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { dataTls } from "@wharf/testing";
import { type ListenerStack, logIn, openDataSocket, startListenerStack, USER } from "./harness.js";

let stack: ListenerStack;
before(async () => {
  stack = await startListenerStack({ dataTimeoutMs: 60_000 });
});
after(() => stack.stop());

test("a client that stops reading its download does not stall another client's download", async () => {
  const content = randomBytes(48 * 1024 * 1024);
  await writeFile(join(stack.dataDir, "storage/files", USER, "big.bin"), content);
  const stalled = await logIn(stack);
  const healthy = await logIn(stack);
  try {
    for (const control of [stalled, healthy]) assert.equal((await control.command("TYPE I")).code, 200);
    const stalledRaw = await openDataSocket(stalled);
    stalled.send("RETR big.bin\r\n");
    assert.equal((await stalled.read()).code, 150);
    const stalledData = await dataTls(stalledRaw, stalled);
    stalledData.pause();
    // Let the stalled download fill every buffer on its way (socket, TLS, gRPC, HTTP/2).
    await new Promise<void>((resolve) => stalledData.once("readable", () => resolve()));

    const raw = await openDataSocket(healthy);
    healthy.send("RETR big.bin\r\n");
    assert.equal((await healthy.read()).code, 150);
    let received = 0;
    for await (const chunk of await dataTls(raw, healthy)) received += (chunk as Buffer).length;
    assert.equal((await healthy.read(20_000)).code, 226);
    assert.equal(received, content.length);
  } finally {
    stalled.close();
    healthy.close();
  }
});
