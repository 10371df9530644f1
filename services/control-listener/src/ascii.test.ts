import assert from "node:assert/strict";
import { test } from "node:test";
import { createAsciiDecoder, toNetworkAscii } from "./ascii.js";

async function encode(chunks: string[]): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of toNetworkAscii(
    (async function* () {
      for (const chunk of chunks) yield Buffer.from(chunk, "latin1");
    })(),
  ))
    parts.push(part);
  return Buffer.concat(parts).toString("latin1");
}

function decode(chunks: string[]): string {
  const decoder = createAsciiDecoder();
  const parts = chunks.map((chunk) => decoder.push(Buffer.from(chunk, "latin1")));
  return Buffer.concat([...parts, decoder.end()]).toString("latin1");
}

test("ascii - downloads send LF as CRLF and leave existing CRLF alone, across chunk edges", async () => {
  assert.equal(await encode(["a\nb\r\nc\n"]), "a\r\nb\r\nc\r\n");
  assert.equal(await encode(["a\r", "\nb\n", "\n"]), "a\r\nb\r\n\r\n");
  assert.equal(await encode(["no line end"]), "no line end");
});

test("ascii - uploads store CRLF as LF, across chunk edges; a lone CR is kept", () => {
  assert.equal(decode(["a\r\nb\r\n"]), "a\nb\n");
  assert.equal(decode(["a\r", "\nb\r", "", "\n"]), "a\nb\n");
  assert.equal(decode(["a\rb\r"]), "a\rb\r");
  assert.equal(decode(["\n\r\n"]), "\n\n");
});
