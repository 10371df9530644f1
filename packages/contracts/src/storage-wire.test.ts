import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { ReadResponse, StorageServiceService, WriteRequest } from "./gen/wharf/storage/v1/storage.js";
import { decodeChunkMessage, encodeChunkMessage, storageWireService } from "./storage-wire.js";

const SIZES = [0, 1, 127, 128, 16_383, 16_384, 16_389, 2_097_151, 2_097_152, 3_000_000];

test("storage wire - chunk messages are byte-identical to the generated encoder's, for every length class", () => {
  for (const size of SIZES) {
    const chunk = randomBytes(size);
    const generated = Buffer.from(WriteRequest.encode({ chunk }).finish());
    assert.ok(encodeChunkMessage(2, chunk).equals(generated), `WriteRequest chunk of ${size} bytes`);
    assert.ok(storageWireService.write.requestSerialize({ chunk }).equals(generated));
    if (size > 0) assert.ok(storageWireService.read.responseSerialize({ chunk }).equals(Buffer.from(ReadResponse.encode({ chunk }).finish())));
  }
});

test("storage wire - the direct decoder reads what the generated encoder wrote, and declines anything else", () => {
  for (const size of SIZES) {
    const chunk = randomBytes(size);
    const decoded = storageWireService.write.requestDeserialize(Buffer.from(WriteRequest.encode({ chunk }).finish()));
    assert.ok(decoded.chunk?.equals(chunk), `chunk of ${size} bytes`);
    assert.equal(decoded.header, undefined);
    assert.ok(storageWireService.read.responseDeserialize(Buffer.from(ReadResponse.encode({ chunk }).finish())).chunk.equals(chunk));
  }
  const header = { location: { root: "alice", path: "/a.bin" }, uploadId: "u1", user: "alice", sessionId: "s", portAlias: "p", offset: 0, append: false, noOverwrite: true, quotaBytes: 1_000, quotaFiles: 0 };
  const headerMessage = Buffer.from(WriteRequest.encode({ header }).finish());
  assert.equal(decodeChunkMessage(2, headerMessage), undefined);
  assert.deepEqual(storageWireService.write.requestDeserialize(headerMessage), StorageServiceService.write.requestDeserialize(headerMessage));
  const endMessage = storageWireService.write.requestSerialize({ end: { streamEnd: "fin" } });
  assert.equal(storageWireService.write.requestDeserialize(endMessage).end?.streamEnd, "fin");
  // A length that disagrees with the message size (truncated or trailing bytes) is not a lone chunk.
  const chunkMessage = encodeChunkMessage(2, randomBytes(300));
  assert.equal(decodeChunkMessage(2, chunkMessage.subarray(0, 200)), undefined);
  assert.equal(decodeChunkMessage(2, Buffer.concat([chunkMessage, Buffer.from([0x1a, 0x00])])), undefined);
  assert.equal(storageWireService.write.requestDeserialize(Buffer.concat([chunkMessage, Buffer.from([0x1a, 0x00])])).end?.streamEnd, "");
});
