import assert from "node:assert/strict";
import { test } from "node:test";
import { eventTypes } from "../subjects.js";
import { FileStoredEvent } from "./file-stored.js";

const valid: FileStoredEvent = {
  type: eventTypes.fileStored,
  uploadId: "6f1c2a9e-3b7d-4e4a-9f0e-2d1b5c8a7e60",
  root: "alice",
  path: "/in/orders.csv",
  size: 1234,
  sha256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  user: "alice",
  sessionId: "s-1",
  portAlias: "ftps",
  streamEnd: "close_notify",
  storedAt: "2025-06-15T12:00:00.000Z",
};

const pathsOfIssues = (body: unknown) => {
  const result = FileStoredEvent.safeParse(body);
  return result.success ? [] : result.error.issues.map((i) => i.path.join("."));
};

test("file stored event - a valid event is accepted unchanged, also after a JSON round trip", () => {
  assert.deepEqual(FileStoredEvent.parse(valid), valid);
  assert.deepEqual(FileStoredEvent.parse(JSON.parse(JSON.stringify(valid))), valid);
});

test("file stored event - a bad sha256 is rejected", () => {
  for (const sha256 of [valid.sha256.toUpperCase(), valid.sha256.slice(1), `${valid.sha256}0`, `${valid.sha256.slice(0, 63)}g`, ""]) {
    assert.deepEqual(pathsOfIssues({ ...valid, sha256 }), ["sha256"], sha256);
  }
});

test("file stored event - a wrong type, relative path, negative size or empty upload id is rejected", () => {
  assert.deepEqual(pathsOfIssues({ ...valid, type: "wharf.evt.v2.file_stored" }), ["type"]);
  assert.deepEqual(pathsOfIssues({ ...valid, path: "in/orders.csv" }), ["path"]);
  assert.deepEqual(pathsOfIssues({ ...valid, size: -1 }), ["size"]);
  assert.deepEqual(pathsOfIssues({ ...valid, size: 1.5 }), ["size"]);
  assert.deepEqual(pathsOfIssues({ ...valid, uploadId: "" }), ["uploadId"]);
});

test("file stored event - a missing field is rejected by name", () => {
  const { storedAt: _omitted, ...rest } = valid;
  assert.deepEqual(pathsOfIssues(rest), ["storedAt"]);
});
