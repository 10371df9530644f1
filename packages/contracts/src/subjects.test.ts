/**
 * The NATS contract: the names in subjects.ts follow the naming rules, and the
 * protobuf messages that travel on those subjects survive encode -> decode.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { LoginRequest, LoginResponse } from "./gen/wharf/auth/v1/auth.js";
import { consumers, eventTypes, streams, subjects } from "./subjects.js";

/** wharf.<area>.v<N>.<name...>: lowercase tokens, no wildcards, the version as the third token. */
const SUBJECT = /^wharf\.[a-z][a-z0-9_]*\.v[1-9][0-9]*(\.[a-z][a-z0-9_]*)+$/;

test("subjects - every subject starts with wharf., has lowercase tokens and a v1 version token", () => {
  const entries = Object.entries(subjects);
  assert.ok(entries.length > 0);
  for (const [key, subject] of entries) {
    assert.match(subject, SUBJECT, key);
    assert.equal(subject.split(".")[2], "v1", key);
    assert.equal(subject, subject.toLowerCase(), key);
  }
});

test("subjects - subjects are unique", () => {
  const values = Object.values(subjects);
  assert.equal(new Set(values).size, values.length);
});

test("subjects - event types follow the same rules", () => {
  for (const [key, type] of Object.entries(eventTypes)) assert.match(type, SUBJECT, key);
});

test("subjects - each event subject is captured by a stream and each consumer filters a known subject", () => {
  const captured = (subject: string) =>
    Object.values(streams).some((stream) => stream.subjects.some((pattern) => (pattern.endsWith(".>") ? subject.startsWith(pattern.slice(0, -1)) : pattern === subject)));
  assert.ok(captured(subjects.fileStored));
  assert.ok(captured(subjects.configChanged));
  assert.equal(captured(subjects.authLogin), false, "a request/reply subject must not be stored by a stream");
  for (const consumer of Object.values(consumers)) assert.ok((Object.values(subjects) as string[]).includes(consumer.filterSubject), consumer.name);
});

test("auth messages - LoginRequest round-trips encode -> decode", () => {
  const message = { username: "alice", password: "pä55 wörd", remoteAddress: "203.0.113.9", sessionId: "s-1", portAlias: "ftps",
    clientCertificate: Buffer.from([0x30, 0x82]),
    tls: true,
    withoutPassword: false,
    certificateRequired: true,
    certificateProblem: "CERT_HAS_EXPIRED",
  };
  const bytes = LoginRequest.encode(message).finish();
  assert.ok(bytes instanceof Uint8Array && bytes.length > 0);
  assert.deepEqual(LoginRequest.decode(bytes), message);
});

test("auth messages - LoginResponse round-trips, with and without a user", () => {
  const ok = {
    ok: true,
    user: { name: "alice", home: "alice", permissions: [{ path: "/in", permissions: ["list", "write"] }], uploadBytesPerSecond: 1_000, downloadBytesPerSecond: 0, method: "cert", quotaBytes: 0, quotaFiles: 5, maxSessions: 2 },
    passwordRequired: false,
    grant: "eyJ1IjoiYWxpY2UifQ.c2ln",
  };
  assert.deepEqual(LoginResponse.decode(LoginResponse.encode(ok).finish()), ok);
  const refused = { ok: false, user: undefined, passwordRequired: false, grant: "" };
  const bytes = LoginResponse.encode(refused).finish();
  assert.equal(bytes.length, 0, "a refusal is the empty message");
  assert.deepEqual(LoginResponse.decode(bytes), refused);
});

test("auth messages - an empty body decodes to the defaults", () => {
  assert.deepEqual(LoginRequest.decode(new Uint8Array()), {
    username: "",
    password: "",
    remoteAddress: "",
    sessionId: "",
    portAlias: "",
    clientCertificate: Buffer.alloc(0),
    tls: false,
    withoutPassword: false,
    certificateRequired: false,
    certificateProblem: "",
  });
});
