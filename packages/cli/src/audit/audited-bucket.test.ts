import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { JetStreamApiError } from "@nats-io/jetstream";
import type { ConfigChangedEvent } from "@wharf/contracts";
import { AuditedWriteError, auditReplay, type ConfigAudit, type ConfigBucket, writeAudited } from "./audited-bucket.js";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** A KV bucket in memory with the server's compare-and-set: a write names the revision it follows. */
function fakeBucket() {
  const entries = new Map<string, { value: Uint8Array; revision: number; operation: "PUT" | "DEL" | "PURGE" }>();
  let sequence = 0;
  const hooks: { beforeWrite?: () => void } = {};
  const write = (key: string, value: string | undefined, previousSeq: number) => {
    const hook = hooks.beforeWrite;
    hooks.beforeWrite = undefined;
    hook?.();
    const last = entries.get(key)?.revision ?? 0;
    if (last !== previousSeq) throw new JetStreamApiError({ code: 400, err_code: 10071, description: `wrong last sequence: ${last}` });
    entries.set(key, { value: new TextEncoder().encode(value ?? ""), revision: ++sequence, operation: value === undefined ? "DEL" : "PUT" });
    return sequence;
  };
  const bucket: ConfigBucket = {
    get: async (key) => entries.get(key) ?? null,
    put: async (key, value, { previousSeq }) => write(key, value, previousSeq),
    delete: async (key, { previousSeq }) => {
      write(key, undefined, previousSeq);
    },
  };
  return { bucket, entries, hooks, putBehindItsBack: (key: string, value: string) => write(key, value, entries.get(key)?.revision ?? 0) };
}

/** An audit that keeps what it publishes, or fails the first `failures` publishes. */
function fakeAudit({ failures = 0, ready = async () => {} }: { failures?: number; ready?: () => Promise<void> } = {}) {
  const published: Array<{ event: ConfigChangedEvent; msgId: string }> = [];
  const attempts: string[] = [];
  let left = failures;
  const audit: ConfigAudit = {
    actor: { name: "alice", host: "ops-1", identity: "" },
    command: "users set",
    ready,
    publish: async (event, msgId) => {
      attempts.push(msgId);
      if (left-- > 0) throw new Error("no stream matches subject");
      published.push({ event, msgId });
    },
    now: () => new Date("2026-11-22T10:00:00.000Z"),
  };
  return { audit, published, attempts };
}

test("audited write - create, update and delete each publish who, what and the digests of the bytes before and after, never the value", async () => {
  const { bucket, entries } = fakeBucket();
  const { audit, published } = fakeAudit();
  const created = await writeAudited(audit, bucket, "wharf_users", "acme", '{"passwordHash":"$argon2id$secret"}');
  const updated = await writeAudited(audit, bucket, "wharf_users", "acme", '{"passwordHash":"$argon2id$other"}');
  const deleted = await writeAudited(audit, bucket, "wharf_users", "acme", undefined);

  assert.deepEqual(created, {
    type: "wharf.audit.v1.config_changed",
    actor: { name: "alice", host: "ops-1", identity: "" },
    command: "users set",
    bucket: "wharf_users",
    key: "acme",
    operation: "create",
    newDigest: sha256('{"passwordHash":"$argon2id$secret"}'),
    revision: 1,
    at: "2026-11-22T10:00:00.000Z",
  });
  assert.equal(updated?.operation, "update");
  assert.equal(updated?.oldDigest, created?.newDigest, "the old digest of a change is the new digest of the one before");
  assert.equal(updated?.newDigest, sha256('{"passwordHash":"$argon2id$other"}'));
  assert.equal(updated?.revision, 2);
  assert.deepEqual({ operation: deleted?.operation, old: deleted?.oldDigest, new: deleted?.newDigest, revision: deleted?.revision }, { operation: "delete", old: updated?.newDigest, new: undefined, revision: 3 });
  assert.equal(entries.get("acme")?.operation, "DEL");
  assert.deepEqual(
    published.map(({ msgId }) => msgId),
    ["wharf_users:acme:1", "wharf_users:acme:2", "wharf_users:acme:3"],
  );
  assert.doesNotMatch(JSON.stringify(published), /argon2id|secret/);
});

test("audited write - deleting a key that holds nothing writes and publishes nothing; a deleted key written again is a create", async () => {
  const { bucket, entries } = fakeBucket();
  const { audit, published } = fakeAudit();
  assert.equal(await writeAudited(audit, bucket, "wharf_bans", "203.0.113.9", undefined), undefined);
  assert.equal(entries.size, 0);
  assert.equal(published.length, 0);
  await writeAudited(audit, bucket, "wharf_ports", "ftps", "{}");
  await writeAudited(audit, bucket, "wharf_ports", "ftps", undefined);
  const again = await writeAudited(audit, bucket, "wharf_ports", "ftps", "{}");
  assert.equal(again?.operation, "create");
  assert.equal(again?.oldDigest, undefined);
});

test("audited write - an event that cannot be published fails the write with a message that says the change stands unaudited", async () => {
  const { bucket, entries } = fakeBucket();
  const { audit, published, attempts } = fakeAudit({ failures: 3 });
  await assert.rejects(writeAudited(audit, bucket, "wharf_users", "acme", "{}"), (error: unknown) => {
    assert.ok(error instanceof AuditedWriteError);
    assert.equal(error.changeStands, true);
    assert.match(error.message, /^wharf_users acme was created \(revision 1\), but its audit event could not be published \(no stream matches subject\): the change stands without an audit record/);
    return true;
  });
  assert.equal(entries.get("acme")?.revision, 1, "the write is not undone");
  assert.equal(published.length, 0);
  assert.deepEqual(attempts, ["wharf_users:acme:1", "wharf_users:acme:1", "wharf_users:acme:1"], "tried again with the same message id");
});

test("audited write - a publish that fails once is tried again with the same message id, and the write succeeds", async () => {
  const { bucket } = fakeBucket();
  const { audit, published, attempts } = fakeAudit({ failures: 1 });
  assert.equal((await writeAudited(audit, bucket, "wharf_users", "acme", "{}"))?.operation, "create");
  assert.deepEqual(attempts, ["wharf_users:acme:1", "wharf_users:acme:1"]);
  assert.equal(published.length, 1);
});

test("audited write - when events cannot be published at all, nothing is written", async () => {
  const { bucket, entries } = fakeBucket();
  const { audit } = fakeAudit({
    ready: async () => {
      throw new AuditedWriteError("nothing was changed: the events stream WHARF_EVENTS is not available", false);
    },
  });
  await assert.rejects(writeAudited(audit, bucket, "wharf_ports", "ftps", "{}"), (error: unknown) => error instanceof AuditedWriteError && !error.changeStands);
  assert.equal(entries.size, 0);
});

test("audited write - a change made by someone else between the read and the write is read again, so the old digest is the value really replaced", async () => {
  const { bucket, hooks, putBehindItsBack } = fakeBucket();
  const { audit, published } = fakeAudit();
  await writeAudited(audit, bucket, "wharf_endpoints", "partner", '{"v":1}');
  hooks.beforeWrite = () => putBehindItsBack("partner", '{"v":"theirs"}');
  const event = await writeAudited(audit, bucket, "wharf_endpoints", "partner", '{"v":2}');
  assert.equal(event?.oldDigest, sha256('{"v":"theirs"}'));
  assert.equal(event?.revision, 3);
  assert.equal(published.length, 2);
});

test("audited replay - a replayed dead letter is an event with its sequence number as key and no digests", async () => {
  const { audit, published } = fakeAudit();
  await auditReplay({ ...audit, command: "dlq replay" }, "WHARF_DLQ", 12);
  assert.deepEqual(published, [
    {
      msgId: "WHARF_DLQ:12:replay",
      event: { type: "wharf.audit.v1.config_changed", actor: audit.actor, command: "dlq replay", bucket: "WHARF_DLQ", key: "12", operation: "replay", at: "2026-11-22T10:00:00.000Z" },
    },
  ]);
});
