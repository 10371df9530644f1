import assert from "node:assert/strict";
import { test } from "node:test";
import { CommandFramer, type FramedItem } from "./command-framer.js";

const b = (text: string | number[]) => (typeof text === "string" ? Buffer.from(text, "utf8") : Buffer.from(text));

/** Lines as strings ("<too-long>" for a dropped line), so a test reads like the wire. */
const show = (items: FramedItem[]) => items.map((item) => (item.kind === "line" ? item.bytes.toString("utf8") : "<too-long>"));

test("framer - CRLF and bare LF both end a line, without the terminator", () => {
  const framer = new CommandFramer(512);
  assert.deepEqual(show(framer.push(b("USER alice\r\nPASS x\nNOOP\r\n"))), ["USER alice", "PASS x", "NOOP"]);
});

test("framer - a command split over two chunks is one line", () => {
  const framer = new CommandFramer(512);
  assert.deepEqual(framer.push(b("STOR in/a")), []);
  assert.deepEqual(framer.push(b(".txt\r")), []);
  assert.deepEqual(show(framer.push(b("\nPWD\r\n"))), ["STOR in/a.txt", "PWD"]);
});

test("framer - a UTF-8 character split across chunks stays intact", () => {
  const framer = new CommandFramer(512);
  const line = b("CWD café\r\n");
  const cut = line.indexOf(0xc3) + 1; // between the two bytes of "é"
  assert.deepEqual(framer.push(line.subarray(0, cut)), []);
  const items = framer.push(line.subarray(cut));
  assert.equal(items.length, 1);
  assert.deepEqual(items[0], { kind: "line", bytes: b("CWD café") });
});

test("framer - an empty line and a lone CR are empty lines; an inner CR is kept", () => {
  const framer = new CommandFramer(512);
  assert.deepEqual(show(framer.push(b("\r\n\nA\rB\r\n"))), ["", "", "A\rB"]);
});

test("framer - a line of exactly the cap (plus CRLF) passes", () => {
  const framer = new CommandFramer(8);
  assert.deepEqual(show(framer.push(b("12345678\r\n"))), ["12345678"]);
});

test("framer - a too-long line is reported once and discarded up to the next LF", () => {
  const framer = new CommandFramer(8);
  const items = [...framer.push(b("0123456789")), ...framer.push(b("abcdefghij")), ...framer.push(b("klm\r\nNOOP\r\n"))];
  assert.deepEqual(show(items), ["<too-long>", "NOOP"]);
});

test("framer - a too-long line inside one chunk is reported and the next line survives", () => {
  const framer = new CommandFramer(8);
  assert.deepEqual(show(framer.push(b("0123456789ab\r\nPWD\r\n"))), ["<too-long>", "PWD"]);
});

test("framer - the buffer is bounded: too-long is reported as soon as the cap is passed, before any LF", () => {
  const framer = new CommandFramer(8);
  assert.deepEqual(framer.push(b("012345")), []);
  assert.deepEqual(show(framer.push(b("6789"))), ["<too-long>"]);
  // Megabytes more without a line feed are neither kept nor reported again.
  for (let i = 0; i < 64; i++) assert.deepEqual(framer.push(Buffer.alloc(64 * 1024, 0x41)), []);
  assert.deepEqual(show(framer.push(b("\nSYST\r\n"))), ["SYST"]);
});

test("framer - reset() forgets buffered bytes", () => {
  const framer = new CommandFramer(512);
  assert.deepEqual(framer.push(b("USER mallory")), []);
  framer.reset();
  assert.deepEqual(show(framer.push(b("PBSZ 0\r\n"))), ["PBSZ 0"]);
});

test("framer - lines are copies, not views of the caller's chunk", () => {
  const framer = new CommandFramer(512);
  const chunk = b("NOOP\r\n");
  const [item] = framer.push(chunk);
  chunk.fill(0x20);
  assert.deepEqual(item, { kind: "line", bytes: b("NOOP") });
});

test("framer - reset() also ends the discarding of an over-long line", () => {
  const framer = new CommandFramer(512);
  assert.deepEqual(show(framer.push(b(`AUTH TLS\r\n${"A".repeat(600)}`))), ["AUTH TLS", "<too-long>"]);
  framer.reset();
  assert.deepEqual(show(framer.push(b("USER alice\r\nPASS x\r\n"))), ["USER alice", "PASS x"]);
});

test("framer - the cap counts the command, not its line ending (bare LF and CRLF alike)", () => {
  const framer = new CommandFramer(8);
  assert.deepEqual(show(framer.push(b("123456789\n"))), ["<too-long>"]);
  assert.deepEqual(show(framer.push(b("12345678\n"))), ["12345678"]);
  assert.deepEqual(show(framer.push(b("123456789\r\n"))), ["<too-long>"]);
});
