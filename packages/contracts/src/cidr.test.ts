import assert from "node:assert/strict";
import { test } from "node:test";
import { cidrMatcher, parseCidr } from "./cidr.js";

test("cidr - CIDRs and single addresses, IPv4 and IPv6; anything else is refused", () => {
  assert.deepEqual(parseCidr("10.0.0.0/8"), { address: "10.0.0.0", prefix: 8, family: "ipv4" });
  assert.deepEqual(parseCidr("127.0.0.2"), { address: "127.0.0.2", prefix: 32, family: "ipv4" });
  assert.deepEqual(parseCidr("2001:db8::/32"), { address: "2001:db8::", prefix: 32, family: "ipv6" });
  for (const bad of ["10.0.0.0/33", "300.1.1.1", "example.com", "10.0.0.0/8/1", "1.2.3.4/x", ""]) assert.equal(parseCidr(bad), undefined, bad);
});

test("cidr - a matcher checks IPv4 and IPv6 against every entry; a non-address matches nothing", () => {
  const matches = cidrMatcher(["192.0.2.0/28", "2001:db8::/32", "198.51.100.7"]);
  assert.equal(matches("192.0.2.15"), true);
  assert.equal(matches("192.0.2.16"), false);
  assert.equal(matches("2001:db8::1"), true);
  assert.equal(matches("198.51.100.7"), true);
  assert.equal(matches("unknown"), false);
  assert.throws(() => cidrMatcher(["10.0.0.0/33"]), /not an address or CIDR: 10\.0\.0\.0\/33/);
});
