/**
 * Issue 9: a session's storage grant (signed by auth at login, 12 h) ends; the session then ends in good order
 * with 421, as an idle timeout would, instead of answering each command with storage's refusal.
 */
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { after, before, test } from "node:test";
import { GRANT_LIFETIME_MS } from "@wharf/contracts";
import { type ListenerStack, logIn, startListenerStack } from "./harness.js";

let stack: ListenerStack;
let clock = Date.now();

before(async () => {
  stack = await startListenerStack({}, { grantKey: generateKeyPairSync("ed25519").privateKey, now: () => clock });
});

after(async () => {
  await stack?.stop();
});

test("a session whose grant has ended gets 421 at its next command and is closed; before that it works", async () => {
  const control = await logIn(stack);
  // From the login on: auth signed the grant a moment ago, on the real clock.
  clock = Date.now();
  assert.match((await control.command("PWD")).text, /^257 /);
  clock += GRANT_LIFETIME_MS - 60_000;
  assert.match((await control.command("PWD")).text, /^257 /, "a minute before its end the grant still holds");
  clock += 60_000;
  assert.match((await control.command("PWD")).text, /^421 Session expired; log in again\./);
  await control.closed();
});
