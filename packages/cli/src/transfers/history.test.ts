import assert from "node:assert/strict";
import { test } from "node:test";
import { eventTypes, type FileStoredEvent, type TransferEvent } from "@wharf/contracts";
import { collectHistories, statusOf } from "./history.js";
import { parseSince } from "./transfers.js";

const stored = (uploadId: string): FileStoredEvent => ({
  type: eventTypes.fileStored,
  uploadId,
  root: "acme",
  path: "/out/a.csv",
  size: 3,
  sha256: "a".repeat(64),
  user: "acme",
  sessionId: "s1",
  portAlias: "ftps",
  streamEnd: "close_notify",
  storedAt: "2026-11-22T10:00:00.000Z",
});
const transfer = (uploadId: string, pipeline: string, type: TransferEvent["type"], attempt = 1): TransferEvent => ({
  type,
  pipeline,
  endpoint: "partner",
  uploadId,
  root: "acme",
  path: "/out/a.csv",
  size: 3,
  sha256: "a".repeat(64),
  attempt,
  at: "2026-11-22T10:00:01.000Z",
});

test("a version's status follows each pipeline's last event", () => {
  const status = (...events: TransferEvent[]) => statusOf(collectHistories([stored("u"), ...events]).get("u") ?? assert.fail("no history"));
  assert.equal(status(), "stored");
  assert.equal(status(transfer("u", "p", eventTypes.transferStarted)), "delivering");
  assert.equal(status(transfer("u", "p", eventTypes.transferStarted), transfer("u", "p", eventTypes.transferFailed)), "delivering");
  assert.equal(status(transfer("u", "p", eventTypes.transferStarted), transfer("u", "p", eventTypes.transferCompleted)), "delivered");
  assert.equal(status(transfer("u", "p", eventTypes.transferCompleted), transfer("u", "q", eventTypes.transferSuperseded)), "delivered");
  assert.equal(status(transfer("u", "q", eventTypes.transferSuperseded)), "superseded");
  assert.equal(status(transfer("u", "p", eventTypes.transferCompleted), transfer("u", "q", eventTypes.transferDeadLettered)), "failed");
  assert.equal(status(transfer("u", "p", eventTypes.transferCompleted), transfer("u", "q", eventTypes.transferStarted)), "delivering");
});

test("a dead letter replayed (its file.stored published again) keeps its history and ends delivered", () => {
  const histories = collectHistories([
    stored("u"),
    transfer("u", "p", eventTypes.transferStarted),
    transfer("u", "p", eventTypes.transferDeadLettered),
    stored("u"),
    transfer("u", "p", eventTypes.transferStarted, 1),
    transfer("u", "p", eventTypes.transferCompleted, 1),
  ]);
  const history = histories.get("u") ?? assert.fail("no history");
  assert.equal(history.transfers.length, 4);
  assert.equal(statusOf(history), "delivered");
});

test("transfer events of a version whose file.stored was not read are left out; other events are ignored", () => {
  const histories = collectHistories([transfer("old", "p", eventTypes.transferCompleted), { type: "wharf.evt.v1.login_succeeded" }, "not an event", stored("new")]);
  assert.deepEqual([...histories.keys()], ["new"]);
});

test("--since takes an ISO date or time, or an age", () => {
  const now = new Date("2026-11-22T12:00:00.000Z");
  assert.equal(parseSince("30m", now)?.toISOString(), "2026-11-22T11:30:00.000Z");
  assert.equal(parseSince("7d", now)?.toISOString(), "2026-11-15T12:00:00.000Z");
  assert.equal(parseSince("90s", now)?.toISOString(), "2026-11-22T11:58:30.000Z");
  assert.equal(parseSince("2026-11-20", now)?.toISOString(), "2026-11-20T00:00:00.000Z");
  assert.equal(parseSince("2026-11-20T08:00:00Z", now)?.toISOString(), "2026-11-20T08:00:00.000Z");
  for (const bad of ["yesterday", "7 days", "-1h", "2026-13-45", ""]) assert.equal(parseSince(bad, now), undefined, bad);
});
