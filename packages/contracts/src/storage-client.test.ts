import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type Socket } from "node:net";
import { test } from "node:test";
import { WharfError } from "./errors.js";
import { createStorageClient, storageTarget } from "./storage-client.js";

test("storage client - an upload that storage never accepts fails after the unary deadline instead of hanging", async () => {
  // A peer that takes the TCP connection and never says a word of HTTP/2.
  const sockets: Socket[] = [];
  const silent = createServer((socket) => sockets.push(socket));
  silent.listen(0, "127.0.0.1");
  await once(silent, "listening");
  const { port } = silent.address() as { port: number };
  const client = createStorageClient(`127.0.0.1:${port}`, { unaryDeadlineMs: 300 });
  try {
    const upload = client.openUpload({ location: { root: "alice", path: "/x" }, uploadId: "u1", user: "alice", sessionId: "s", portAlias: "p", offset: 0, append: false, noOverwrite: false, quotaBytes: 0, quotaFiles: 0 });
    const error = await upload.ready.then(
      () => assert.fail("ready should not resolve"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof WharfError);
    assert.equal(error.code, "WHARF_DEADLINE_EXCEEDED");
  } finally {
    client.close();
    for (const socket of sockets) socket.destroy();
    silent.close();
  }
});

test("storage client - waitForReady rejects with WHARF_UNAVAILABLE, naming the address, when nothing answers there", async () => {
  // A port that was just free: nothing listens on it.
  const probe = createServer();
  probe.listen(0, "127.0.0.1");
  await once(probe, "listening");
  const { port } = probe.address() as { port: number };
  probe.close();
  const client = createStorageClient(`127.0.0.1:${port}`);
  try {
    const error = await client.waitForReady(300).then(
      () => assert.fail("nothing listens there"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof WharfError);
    assert.equal(error.code, "WHARF_UNAVAILABLE");
    assert.match(error.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
  } finally {
    client.close();
  }
});

test("storage client - several storage addresses are one ipv4: target (round robin over them); one address stays as it is", () => {
  assert.equal(storageTarget("storage:50151"), "storage:50151");
  assert.equal(storageTarget("127.0.0.1:50151,127.0.0.1:50152"), "ipv4:127.0.0.1:50151,127.0.0.1:50152");
});
