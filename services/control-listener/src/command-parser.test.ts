import assert from "node:assert/strict";
import { test } from "node:test";
import { parseCommand } from "./command-parser.js";

const IAC = 0xff;
const IP = 0xf4;
const DM = 0xf2;
const WILL = 0xfb;

const line = (...parts: Array<string | number>) => Buffer.concat(parts.map((part) => (typeof part === "string" ? Buffer.from(part, "utf8") : Buffer.from([part]))));

test("parser - the verb is upper-cased and the argument follows one space", () => {
  assert.deepEqual(parseCommand(line("stor in/a.txt")), { verb: "STOR", argument: "in/a.txt" });
  assert.deepEqual(parseCommand(line("Pwd")), { verb: "PWD", argument: "" });
  assert.deepEqual(parseCommand(line("")), { verb: "", argument: "" });
});

test("parser - the argument is byte-exact: leading, inner and trailing spaces are kept", () => {
  assert.deepEqual(parseCommand(line("STOR  two  spaces.txt ")), { verb: "STOR", argument: " two  spaces.txt " });
  assert.deepEqual(parseCommand(line("CWD ")), { verb: "CWD", argument: "" });
  assert.deepEqual(parseCommand(line("RETR Straße/ä.txt")), { verb: "RETR", argument: "Straße/ä.txt" });
});

test("parser - the argument keeps its case", () => {
  assert.equal(parseCommand(line("mkd MixedCase"))?.argument, "MixedCase");
});

test("parser - invalid UTF-8 yields undefined", () => {
  assert.equal(parseCommand(line("STOR caf", 0xe9, ".txt")), undefined); // Latin-1 "é"
  assert.equal(parseCommand(line("STOR ", 0xc3)), undefined); // truncated sequence
  assert.equal(parseCommand(line("STOR ", 0xc0, 0xaf)), undefined); // overlong "/"
});

test("parser - Telnet IAC IP / IAC DM before ABOR are stripped", () => {
  assert.deepEqual(parseCommand(line(IAC, IP, IAC, DM, "ABOR")), { verb: "ABOR", argument: "" });
});

test("parser - IAC WILL <option> is stripped with its option byte", () => {
  assert.deepEqual(parseCommand(line("NO", IAC, WILL, 0x01, "OP")), { verb: "NOOP", argument: "" });
});

test("parser - IAC IAC becomes one 0xFF byte, which is not valid UTF-8", () => {
  assert.equal(parseCommand(line("STOR a", IAC, IAC, "b")), undefined);
});

test("parser - a lone IAC at the end of the line is dropped", () => {
  assert.deepEqual(parseCommand(line("NOOP", IAC)), { verb: "NOOP", argument: "" });
});

test("parser - a Telnet subnegotiation (IAC SB … IAC SE) is removed whole", () => {
  const line = Buffer.from([0xff, 0xfa, 0x18, 0x00, 0x41, 0x42, 0xff, 0xf0, ...Buffer.from("NOOP")]);
  assert.deepEqual(parseCommand(line), { verb: "NOOP", argument: "" });
});
