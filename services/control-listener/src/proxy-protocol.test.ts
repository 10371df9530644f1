import assert from "node:assert/strict";
import { test } from "node:test";
import { parseProxyHeader, ProxyHeaderError } from "./proxy-protocol.js";

const SIGNATURE = Buffer.from("0d0a0d0a000d0a515549540a", "hex");

function v2(command: number, family: number, addresses: Buffer, tlvs = Buffer.alloc(0)): Buffer {
  const length = Buffer.alloc(2);
  length.writeUInt16BE(addresses.length + tlvs.length);
  return Buffer.concat([SIGNATURE, Buffer.from([0x20 | command, family]), length, addresses, tlvs]);
}

function ipv4Block(source: number[], sourcePort: number): Buffer {
  const block = Buffer.alloc(12);
  Buffer.from(source).copy(block, 0);
  Buffer.from([10, 0, 0, 1]).copy(block, 4);
  block.writeUInt16BE(sourcePort, 8);
  block.writeUInt16BE(21, 10);
  return block;
}

test("a v2 PROXY header over TCP/IPv4 names the client, and what follows it is left", () => {
  const header = v2(1, 0x11, ipv4Block([203, 0, 113, 7], 50_123), Buffer.from([0x04, 0x00, 0x01, 0x00]));
  const parsed = parseProxyHeader(Buffer.concat([header, Buffer.from("USER alice\r\n")]));
  assert.deepEqual(parsed, { length: header.length, source: { address: "203.0.113.7", port: 50_123 } });
});

test("a v2 header over IPv6 gives the shortest spelling, and an IPv4-mapped one plain IPv4", () => {
  const block = Buffer.alloc(36);
  Buffer.from("20010db8000000000000000000000001", "hex").copy(block, 0);
  block.writeUInt16BE(40_000, 32);
  assert.deepEqual(parseProxyHeader(v2(1, 0x21, block))?.source, { address: "2001:db8::1", port: 40_000 });
  Buffer.from("00000000000000000000ffffc0000209", "hex").copy(block, 0);
  assert.deepEqual(parseProxyHeader(v2(1, 0x21, block))?.source, { address: "192.0.2.9", port: 40_000 });
});

test("a LOCAL v2 header (the balancer's health check) names no client", () => {
  assert.deepEqual(parseProxyHeader(v2(0, 0x00, Buffer.alloc(0))), { length: 16, source: undefined });
});

test("a v1 line names the client; UNKNOWN names none", () => {
  const line = "PROXY TCP4 198.51.100.22 10.0.0.1 35646 21\r\n";
  assert.deepEqual(parseProxyHeader(Buffer.from(`${line}220`)), { length: line.length, source: { address: "198.51.100.22", port: 35_646 } });
  assert.deepEqual(parseProxyHeader(Buffer.from("PROXY UNKNOWN\r\n")), { length: 15, source: undefined });
});

test("a header cut short asks for more bytes", () => {
  const header = v2(1, 0x11, ipv4Block([192, 0, 2, 1], 1_024));
  for (const cut of [1, 11, 12, 15, 16, header.length - 1]) assert.equal(parseProxyHeader(header.subarray(0, cut)), undefined, `cut at ${cut}`);
  assert.equal(parseProxyHeader(Buffer.from("PROXY TCP4 192.0.2.1")), undefined);
});

test("bytes that are no header, or a header FTP cannot use, are refused", () => {
  const refused = (bytes: Buffer, message: RegExp) => assert.throws(() => parseProxyHeader(bytes), (error: unknown) => error instanceof ProxyHeaderError && message.test(error.message));
  refused(Buffer.from("USER alice\r\n"), /did not start with a PROXY protocol header/);
  refused(Buffer.from([0x16, 0x03, 0x01]), /did not start/);
  refused(Buffer.concat([SIGNATURE, Buffer.from([0x11, 0x11, 0, 12]), Buffer.alloc(12)]), /version 1/);
  refused(Buffer.concat([SIGNATURE, Buffer.from([0x22, 0x11, 0, 12]), Buffer.alloc(12)]), /command 2/);
  refused(v2(1, 0x12, ipv4Block([192, 0, 2, 1], 1_024)), /other than TCP/);
  refused(v2(1, 0x31, Buffer.alloc(216)), /family 3/);
  refused(v2(1, 0x11, Buffer.alloc(8)), /too short/);
  refused(Buffer.concat([SIGNATURE, Buffer.from([0x21, 0x11, 0xff, 0xff])]), /too long/);
  refused(Buffer.from("PROXY TCP4 not-an-address 10.0.0.1 1 2\r\n"), /malformed/);
  refused(Buffer.from("PROXY TCP4 192.0.2.1 10.0.0.1 99999 21\r\n"), /malformed/);
  refused(Buffer.from(`PROXY TCP4 ${"1".repeat(120)}`), /too long/);
});
