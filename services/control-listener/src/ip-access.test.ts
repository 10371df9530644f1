import assert from "node:assert/strict";
import { test } from "node:test";
import { createIpAccess } from "./ip-access.js";

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
