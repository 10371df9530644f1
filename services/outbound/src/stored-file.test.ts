import assert from "node:assert/strict";
import { test } from "node:test";
import { WharfError } from "@wharf/contracts";
import { PushError } from "./ftp-push.js";
import { openStoredFile } from "./stored-file.js";

const event = { root: "acme", path: "/a.bin" };

test("the stored file's bytes come through whole", async () => {
  const parts = [Buffer.from("one "), Buffer.from("two "), Buffer.from("three")];
  const stream = await openStoredFile({ read: async function* () { yield* parts; } }, event);
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
  const error = await openStoredFile(failing, event).then(
    () => assert.fail("must reject"),
    (e: unknown) => e,
  );
  assert.ok(error instanceof PushError);
  assert.equal(error.retryable, true);
  assert.match(error.message, /^storage could not be read: connect ECONNREFUSED/);
});

test("a stream abandoned halfway ends the storage read", async () => {
  let ended = false;
  const stream = await openStoredFile(
    {
      read: async function* () {
        try {
          for (let index = 0; index < 1_000; index++) yield Buffer.alloc(1024);
        } finally {
          ended = true;
        }
      },
    },
    event,
  );
  for await (const _chunk of stream) break;
  assert.equal(ended, true);
});
