import assert from "node:assert/strict";
import { test } from "node:test";
import { WharfError } from "@wharf/contracts";
import { PushError } from "./ftp-push.js";
import { openStoredFile } from "./stored-file.js";

const event = { root: "acme", path: "/a.bin" };

test("the stored file's bytes come through whole", async () => {
  const parts = [Buffer.from("one "), Buffer.from("two "), Buffer.from("three")];
  const stream = await openStoredFile({ read: async function* () { yield* parts; } }, event, { stallMs: 1_000 });
  const received: Buffer[] = [];
  for await (const chunk of stream) received.push(chunk as Buffer);
  assert.equal(Buffer.concat(received).toString(), "one two three");
});

test("storage that cannot be read fails before a stream is handed out, saying it is storage", async () => {
  const failing = {
    // biome-ignore lint/correctness/useYield: fails before its first chunk, as an unreachable storage does.
    read: async function* (): AsyncGenerator<Buffer> {
      throw new WharfError("WHARF_UNAVAILABLE", "connect ECONNREFUSED 127.0.0.1:50151");
    },
  };
  const error = await openStoredFile(failing, event, { stallMs: 1_000 }).then(
    () => assert.fail("must reject"),
    (e: unknown) => e,
  );
  assert.ok(error instanceof PushError);
  assert.equal(error.retryable, true);
  assert.match(error.message, /^storage could not be read: connect ECONNREFUSED/);
});

test("a stream abandoned halfway ends the storage read", async () => {
  let ended!: () => void;
  const readEnded = new Promise<void>((resolve) => {
    ended = resolve;
  });
  const stream = await openStoredFile(
    {
      read: async function* () {
        try {
          for (let index = 0; index < 1_000; index++) yield Buffer.alloc(1024);
        } finally {
          ended();
        }
      },
    },
    event,
    { stallMs: 1_000 },
  );
  for await (const _chunk of stream) break;
  // Resolves only if the read's generator was closed.
  await readEnded;
});

test("a read that stalls after its first bytes fails the stream, saying so", async () => {
  const stream = await openStoredFile(
    {
      read: async function* () {
        yield Buffer.from("first bytes");
        await new Promise(() => undefined); // a hung disk: the next chunk never comes
      },
    },
    event,
    { stallMs: 50 },
  );
  await assert.rejects(
    (async () => {
      for await (const _chunk of stream);
    })(),
    /storage sent nothing for 50 ms/,
  );
});
