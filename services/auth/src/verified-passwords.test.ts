import assert from "node:assert/strict";
import { test } from "node:test";
import { createVerifiedPasswords } from "./verified-passwords.js";

/** A stand-in for argon2id that counts its calls: "hash:<password>" matches <password>. */
function slowCheck() {
  const calls = { count: 0 };
  const verify = async (password: string, phc: string) => {
    calls.count++;
    return phc === `hash:${password}`;
  };
  return { calls, verify };
}

test("verified passwords - a second good login skips the slow check; a wrong one never does", async () => {
  const { calls, verify } = slowCheck();
  const lookups: string[] = [];
  const cache = createVerifiedPasswords({ ttlMs: 60_000, maxEntries: 10, verify, onLookup: (result) => lookups.push(result) });
  assert.equal(await cache.verify("alice", "hash:right", "right"), true);
  assert.equal(await cache.verify("alice", "hash:right", "right"), true);
  assert.equal(calls.count, 1);
  assert.equal(await cache.verify("alice", "hash:right", "wrong"), false);
  assert.equal(await cache.verify("alice", "hash:right", "wrong"), false);
  assert.equal(calls.count, 3, "failures always pay for the slow check");
  assert.deepEqual(lookups, ["miss", "hit", "miss", "miss"]);
  // The remembered success survives the failures.
  assert.equal(await cache.verify("alice", "hash:right", "right"), true);
  assert.equal(calls.count, 3);
});

test("verified passwords - a changed hash, an expired entry or another user's password is checked again", async () => {
  const { calls, verify } = slowCheck();
  let clock = 1_000;
  const cache = createVerifiedPasswords({ ttlMs: 100, maxEntries: 10, verify, now: () => clock });
  assert.equal(await cache.verify("alice", "hash:old", "old"), true);
  assert.equal(await cache.verify("alice", "hash:new", "old"), false, "the password was changed: the old one no longer works");
  assert.equal(await cache.verify("alice", "hash:new", "new"), true);
  assert.equal(await cache.verify("bob", "hash:new", "new"), true, "bob has no entry of his own yet");
  assert.equal(calls.count, 4);
  clock += 100;
  assert.equal(await cache.verify("alice", "hash:new", "new"), true);
  assert.equal(calls.count, 5, "expired after the TTL");
});

test("verified passwords - the least recently used entry is evicted; TTL 0 turns the cache off", async () => {
  const { calls, verify } = slowCheck();
  const cache = createVerifiedPasswords({ ttlMs: 60_000, maxEntries: 2, verify });
  for (const user of ["a", "b", "a", "c"]) await cache.verify(user, "hash:p", "p");
  assert.equal(calls.count, 3);
  await cache.verify("a", "hash:p", "p");
  assert.equal(calls.count, 3, "a was used recently and stays");
  await cache.verify("b", "hash:p", "p");
  assert.equal(calls.count, 4, "b was the least recently used and was evicted");

  const off = slowCheck();
  const uncached = createVerifiedPasswords({ ttlMs: 0, maxEntries: 10, verify: off.verify });
  await uncached.verify("a", "hash:p", "p");
  await uncached.verify("a", "hash:p", "p");
  assert.equal(off.calls.count, 2);
});
