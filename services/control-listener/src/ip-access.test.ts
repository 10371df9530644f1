import assert from "node:assert/strict";
import { test } from "node:test";
import { createIpAccess, parseCidr } from "./ip-access.js";

test("ip access - CIDRs and single addresses, IPv4 and IPv6; anything else is refused", () => {
  assert.deepEqual(parseCidr("10.0.0.0/8"), { address: "10.0.0.0", prefix: 8, family: "ipv4" });
  assert.deepEqual(parseCidr("127.0.0.2"), { address: "127.0.0.2", prefix: 32, family: "ipv4" });
  assert.deepEqual(parseCidr("2001:db8::/32"), { address: "2001:db8::", prefix: 32, family: "ipv6" });
  for (const bad of ["10.0.0.0/33", "300.1.1.1", "example.com", "10.0.0.0/8/1", "1.2.3.4/x", ""]) assert.equal(parseCidr(bad), undefined, bad);
});

test("ip access - allow mode lets all in but the deny list; deny mode only the allow list; deny wins", () => {
  const open = createIpAccess({ mode: "allow", allow: [], deny: ["192.0.2.0/24"] });
  assert.equal(open("127.0.0.1"), true);
  assert.equal(open("192.0.2.77"), false);
  const closed = createIpAccess({ mode: "deny", allow: ["127.0.0.0/8", "::1"], deny: ["127.0.0.9"] });
  assert.equal(closed("127.0.0.5"), true);
  assert.equal(closed("::1"), true);
  assert.equal(closed("127.0.0.9"), false);
  assert.equal(closed("198.51.100.1"), false);
});
