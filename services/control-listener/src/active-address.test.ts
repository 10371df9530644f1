import assert from "node:assert/strict";
import { test } from "node:test";
import { parseEprt, parsePort, sameAddress } from "./active-address.js";

test("PORT - six numbers 0-255 make an address and a port", () => {
  assert.deepEqual(parsePort("127,0,0,2,19,137"), { ok: true, host: "127.0.0.2", port: 19 * 256 + 137 });
  for (const bad of ["1,2,3", "127,0,0,1,0,0", "256,0,0,1,4,1", "a,b,c,d,e,f", "127,0,0,1,4,1,9", "", "127,0,0,1,-4,1"]) {
    const result = parsePort(bad);
    assert.equal(result.ok, false, bad);
    if (!result.ok) assert.equal(result.code, 501, bad);
  }
});

test("EPRT - families 1 and 2 with any delimiter; unknown family 522, bad syntax 501", () => {
  assert.deepEqual(parseEprt("|1|127.0.0.2|5282|"), { ok: true, host: "127.0.0.2", port: 5282 });
  assert.deepEqual(parseEprt("!2!::1!5282!"), { ok: true, host: "::1", port: 5282 });
  const code = (argument: string) => {
    const result = parseEprt(argument);
    return result.ok ? 0 : result.code;
  };
  assert.equal(code("|3|127.0.0.2|5282|"), 522);
  for (const bad of ["||||", "|1|127.0.0.2|65536|", "|1|127.0.0.2|0|", "|1|300.0.0.1|21|", "|1|127.0.0.1|21", "1|127.0.0.1|21|", ""]) {
    assert.equal(code(bad), 501, bad);
  }
});

test("active mode - the named address must be the control peer's, however IPv6 or IPv4-mapped it is spelled", () => {
  assert.equal(sameAddress("127.0.0.1", "127.0.0.1"), true);
  assert.equal(sameAddress("127.0.0.2", "127.0.0.1"), false);
  assert.equal(sameAddress("::ffff:127.0.0.1", "127.0.0.1"), true);
  assert.equal(sameAddress("::1", "0:0:0:0:0:0:0:1"), true);
  assert.equal(sameAddress("2001:DB8::0001", "2001:db8:0:0:0:0:0:1"), true);
  assert.equal(sameAddress("2001:db8::2", "2001:db8::1"), false);
  assert.equal(sameAddress("::", "::1"), false);
});

test("active mode - malformed IPv6 text never throws and never equals a real address", () => {
  assert.equal(sameAddress("1::2::3", "1::2"), false);
  assert.equal(sameAddress("1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7:8"), false);
  assert.equal(sameAddress("1:2:3:4:5:6:7::8:9", "::1"), false);
});
