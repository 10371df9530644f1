import assert from "node:assert/strict";
import { test } from "node:test";
import { booleanFlag, hostPort, hostPortList, natsUrl, portRange, tcpPort } from "./common-schemas.js";

const messagesOf = (result: { success: boolean; error?: { issues: Array<{ message: string }> } }) => result.error?.issues.map((i) => i.message) ?? [];

test("port range - low-high within 1024-65535 parses to numbers", () => {
  assert.deepEqual(portRange.parse("30000-30999"), { low: 30000, high: 30999 });
  assert.deepEqual(portRange.parse("1024-65535"), { low: 1024, high: 65535 });
  assert.deepEqual(portRange.parse("40000-40000"), { low: 40000, high: 40000 });
});

test("port range - a malformed value says the expected shape", () => {
  for (const value of ["", "30000", "abc", "30000 - 30999", "30000-30999 ", "1-2", "999-2000", "-1-2000"]) {
    assert.deepEqual(messagesOf(portRange.safeParse(value)), ['must be "low-high", e.g. 30000-30999'], value);
  }
});

test("port range - out of bounds or reversed is refused", () => {
  for (const value of ["30999-30000", "1023-2000", "60000-70000", "99999-99999"]) {
    assert.deepEqual(messagesOf(portRange.safeParse(value)), ["must be within 1024-65535 with low <= high"], value);
  }
});

test("boolean flag - true/false, 1/0, yes/no, on/off in any case and with spaces", () => {
  for (const value of ["true", "TRUE", "1", "yes", " Yes ", "on", "ON"]) assert.equal(booleanFlag.parse(value), true, value);
  for (const value of ["false", "False", "0", "no", "NO", "off", " off"]) assert.equal(booleanFlag.parse(value), false, value);
});

test("boolean flag - anything else is refused", () => {
  for (const value of ["", "maybe", "2", "y", "truee"]) {
    assert.deepEqual(messagesOf(booleanFlag.safeParse(value)), ["must be true or false"], value);
  }
});

test("nats url - one or more nats/tls/ws/wss URLs separated by commas", () => {
  for (const value of ["nats://127.0.0.1:4222", "tls://nats.example:4222", "ws://h:80", "wss://h", "nats://a:4222, nats://b:4222,tls://c:4222"]) {
    assert.equal(natsUrl.safeParse(value).success, true, value);
  }
});

test("nats url - other schemes, empty parts and spaces inside a URL are refused", () => {
  for (const value of ["", "127.0.0.1:4222", "http://h:4222", "nats://", "nats://a,,nats://b", "nats://a,", "nats://a b"]) {
    assert.equal(natsUrl.safeParse(value).success, false, value);
  }
});

test("tcp port and host:port - the bounds", () => {
  assert.equal(tcpPort.parse("2121"), 2121);
  assert.equal(tcpPort.parse("0"), 0);
  for (const value of ["65536", "-1", "21.5", "ftp"]) assert.equal(tcpPort.safeParse(value).success, false, value);
  assert.equal(hostPort.safeParse("127.0.0.1:50151").success, true);
  for (const value of ["127.0.0.1", ":50151", "host:port", "a b:1"]) assert.equal(hostPort.safeParse(value).success, false, value);
  for (const value of ["storage:50151", "127.0.0.1:50151,127.0.0.1:50152", "10.0.0.5:1,10.0.0.6:1,10.0.0.7:1"]) assert.equal(hostPortList.safeParse(value).success, true, value);
  for (const value of ["storage-1:50151,storage-2:50151", "127.0.0.1:1,", "127.0.0.1,127.0.0.2:1", ""]) assert.equal(hostPortList.safeParse(value).success, false, value);
});
