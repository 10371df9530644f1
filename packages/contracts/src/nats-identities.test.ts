import assert from "node:assert/strict";
import { test } from "node:test";
import { inboxPrefix, natsIdentities, natsPermissions } from "./nats-identities.js";
import { buckets, subjects } from "./subjects.js";

/** Whether a NATS subject pattern (with * and >) covers a subject. */
function covers(pattern: string, subject: string): boolean {
  const want = pattern.split(".");
  const have = subject.split(".");
  for (const [index, token] of want.entries()) {
    if (token === ">") return have.length > index;
    if (index >= have.length || (token !== "*" && token !== have[index])) return false;
  }
  return want.length === have.length;
}
const mayPublish = (identity: (typeof natsIdentities)[number], subject: string) => natsPermissions(identity).publish.some((pattern) => covers(pattern, subject));
const maySubscribe = (identity: (typeof natsIdentities)[number], subject: string) => natsPermissions(identity).subscribe.some((pattern) => covers(pattern, subject));
const whoMay = (check: typeof mayPublish, subject: string) => natsIdentities.filter((identity) => check(identity, subject));

test("only storage (and the admin, replaying a dead letter) announces a stored file", () => {
  assert.deepEqual(whoMay(mayPublish, subjects.fileStored), ["storage", "admin"]);
});

test("only the admin writes the audit trail", () => {
  assert.deepEqual(whoMay(mayPublish, subjects.configChanged), ["admin"]);
  assert.deepEqual(whoMay(mayPublish, "$JS.API.STREAM.CREATE.WHARF_AUDIT"), ["admin"]);
});

test("only auth answers logins, only the listener asks for them", () => {
  assert.deepEqual(whoMay(maySubscribe, subjects.authLogin), ["auth", "admin"]);
  assert.deepEqual(whoMay(mayPublish, subjects.authLogin), ["listener", "admin"]);
  assert.deepEqual(
    natsIdentities.filter((identity) => natsPermissions(identity).allowResponses),
    ["auth"],
  );
});

test("only the admin writes the configuration buckets; the services read what they follow", () => {
  for (const bucket of [buckets.users, buckets.ports, buckets.endpoints, buckets.pipelines, buckets.pulls]) {
    assert.deepEqual(whoMay(mayPublish, `$KV.${bucket}.anything`), ["admin"], bucket);
  }
  assert.ok(mayPublish("auth", `$JS.API.DIRECT.GET.KV_${buckets.users}.$KV.${buckets.users}.demo`));
  assert.ok(!mayPublish("listener", `$JS.API.DIRECT.GET.KV_${buckets.users}.$KV.${buckets.users}.demo`));
  assert.ok(mayPublish("outbound", `$JS.API.CONSUMER.CREATE.KV_${buckets.endpoints}.x.$KV.${buckets.endpoints}.>`));
});

test("only storage purges, and only its own streams", () => {
  const purges = natsPermissions("storage").publish.filter((pattern) => pattern.startsWith("$JS.API.STREAM.PURGE."));
  assert.deepEqual(purges, [`$JS.API.STREAM.PURGE.KV_${buckets.tree}`, `$JS.API.STREAM.PURGE.KV_${buckets.objectState}`, `$JS.API.STREAM.PURGE.OBJ_${buckets.objects}`]);
  assert.ok(!mayPublish("storage", "$JS.API.CONSUMER.CREATE.WHARF_EVENTS.x"), "storage never reads the events it publishes");
});

test("the files' bytes and records are storage's alone", () => {
  for (const subject of [`$O.${buckets.objects}.C.x`, `$JS.API.STREAM.INFO.OBJ_${buckets.objects}`, `$KV.${buckets.files}.x`, `$KV.${buckets.tree}.x`]) {
    assert.deepEqual(whoMay(mayPublish, subject), ["storage", "admin"], subject);
  }
});

test("each identity subscribes to its own inboxes only, and none but the admin to everything", () => {
  for (const identity of natsIdentities.filter((name) => name !== "admin")) {
    assert.ok(maySubscribe(identity, `${inboxPrefix(identity)}.abc`));
    for (const other of natsIdentities.filter((name) => name !== identity && name !== "admin")) {
      assert.ok(!maySubscribe(identity, `${inboxPrefix(other)}.abc`), `${identity} reads ${other}'s replies`);
    }
    assert.ok(!natsPermissions(identity).publish.includes(">"));
    // A stream's settings are the admin's: an update could copy another stream in (sources), wipe it (an age
    // limit) or seal it.
    for (const verb of ["UPDATE", "DELETE", "PURGE"]) {
      const allowed = natsPermissions(identity).publish.filter((pattern) => pattern.startsWith(`$JS.API.STREAM.${verb}.`));
      assert.deepEqual(verb === "PURGE" && identity === "storage" ? [] : allowed, [], `${identity} may ${verb} ${allowed.join(", ")}`);
    }
  }
});
