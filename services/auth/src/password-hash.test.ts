import assert from "node:assert/strict";
import { test } from "node:test";
import { hashPassword, verifyPassword } from "./password-hash.js";

const cheap = { memoryKiB: 8_192, passes: 1, parallelism: 1 };

test("password hash - argon2id PHC string that verifies the right password only", async () => {
  const hash = await hashPassword("s3cret pass", cheap);
  assert.match(hash, /^\$argon2id\$v=19\$m=8192,t=1,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
  assert.equal(await verifyPassword("s3cret pass", hash), true);
  assert.equal(await verifyPassword("s3cret pas", hash), false);
  assert.equal(await verifyPassword("", hash), false);
});

test("password hash - two hashes of one password differ (random salt)", async () => {
  assert.notEqual(await hashPassword("same", cheap), await hashPassword("same", cheap));
});

test("password hash - a malformed hash never matches", async () => {
  assert.equal(await verifyPassword("x", "$argon2i$v=19$m=8192,t=1,p=1$c2FsdHNhbHQ$aGFzaA"), false);
  assert.equal(await verifyPassword("x", "plain text"), false);
});
