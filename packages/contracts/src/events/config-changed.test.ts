import assert from "node:assert/strict";
import { test } from "node:test";
import { eventTypes } from "../subjects.js";
import { ConfigChangedEvent } from "./config-changed.js";

const valid: ConfigChangedEvent = {
  type: eventTypes.configChanged,
  actor: { name: "alice", host: "ops-1", identity: "" },
  command: "users set",
  bucket: "wharf_users",
  key: "acme",
  operation: "update",
  oldDigest: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  newDigest: "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
  revision: 7,
  at: "2026-11-22T10:00:00.000Z",
};

const pathsOfIssues = (body: unknown) => {
  const result = ConfigChangedEvent.safeParse(body);
  return result.success ? [] : result.error.issues.map((issue) => issue.path.join("."));
};

test("config changed event - a valid event survives a JSON round trip; a create has no old digest, a delete no new one, a replay neither", () => {
  assert.deepEqual(ConfigChangedEvent.parse(JSON.parse(JSON.stringify(valid))), valid);
  const { oldDigest: _old, ...created } = valid;
  assert.deepEqual(pathsOfIssues({ ...created, operation: "create" }), []);
  const { newDigest: _new, ...deleted } = valid;
  assert.deepEqual(pathsOfIssues({ ...deleted, operation: "delete" }), []);
  const { oldDigest: _o, newDigest: _n, revision: _r, ...replayed } = valid;
  assert.deepEqual(pathsOfIssues({ ...replayed, bucket: "WHARF_DLQ", key: "12", operation: "replay" }), []);
});

test("config changed event - a digest that is not lowercase hex SHA-256, an unknown operation or a nameless actor is rejected", () => {
  assert.deepEqual(pathsOfIssues({ ...valid, oldDigest: valid.oldDigest?.toUpperCase() }), ["oldDigest"]);
  assert.deepEqual(pathsOfIssues({ ...valid, newDigest: "abc" }), ["newDigest"]);
  assert.deepEqual(pathsOfIssues({ ...valid, operation: "purge" }), ["operation"]);
  assert.deepEqual(pathsOfIssues({ ...valid, actor: { ...valid.actor, name: "" } }), ["actor.name"]);
  assert.deepEqual(pathsOfIssues({ ...valid, revision: 0 }), ["revision"]);
});
