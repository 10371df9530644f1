import assert from "node:assert/strict";
import { test } from "node:test";
import { Metadata, type ServiceError } from "@grpc/grpc-js";
import { type ErrorCode, errorCodes, Status, WharfError } from "./errors.js";
import { fromGrpcError, toGrpcStatus } from "./grpc-errors.js";

const allCodes = Object.keys(errorCodes) as ErrorCode[];

/** What a grpc-js client rejects with, built from what the server sent. */
function clientError(code: number, details: string, metadata = new Metadata()): ServiceError {
  return Object.assign(new Error(`${code} ${details}`), { code, details, metadata });
}

test("grpc errors - toGrpcStatus/fromGrpcError round trip keeps every Wharf code and message", () => {
  for (const code of allCodes) {
    const sent = toGrpcStatus(new WharfError(code, `message of ${code}`));
    assert.equal(sent.code, errorCodes[code], code);
    assert.ok(sent.metadata, code);
    const received = fromGrpcError(clientError(sent.code ?? -1, sent.details ?? "", sent.metadata));
    assert.equal(received.code, code);
    assert.equal(received.message, `message of ${code}`);
    assert.equal(received.status, errorCodes[code]);
  }
});

test("grpc errors - an unknown thrown error is sent as INTERNAL without its message", () => {
  const sent = toGrpcStatus(new Error("ENOENT: /var/lib/wharf/files/alice"));
  assert.equal(sent.code, Status.INTERNAL);
  assert.equal(sent.details, "internal error");
  assert.deepEqual(sent.metadata?.get("wharf-error-code"), ["WHARF_INTERNAL"]);
});

test("grpc errors - plain gRPC statuses without the Wharf trailer map to sensible codes", () => {
  const expected: Array<[number, ErrorCode]> = [
    [Status.UNAVAILABLE, "WHARF_UNAVAILABLE"],
    [Status.DEADLINE_EXCEEDED, "WHARF_DEADLINE_EXCEEDED"],
    [Status.CANCELLED, "WHARF_TRANSFER_ABORTED"],
    [Status.ABORTED, "WHARF_TRANSFER_ABORTED"],
    [Status.NOT_FOUND, "WHARF_NOT_FOUND"],
    [Status.PERMISSION_DENIED, "WHARF_PERMISSION_DENIED"],
    [Status.UNKNOWN, "WHARF_INTERNAL"],
    [Status.INTERNAL, "WHARF_INTERNAL"],
  ];
  for (const [status, code] of expected) {
    const error = fromGrpcError(clientError(status, "No connection established"));
    assert.equal(error.code, code, `status ${status}`);
    assert.equal(error.message, "No connection established");
  }
});

test("grpc errors - the received error keeps the gRPC error as its cause; empty details get a default", () => {
  const raw = clientError(Status.UNAVAILABLE, "");
  const error = fromGrpcError(raw);
  assert.equal(error.cause, raw);
  assert.equal(error.message, "storage error");
});

test("grpc errors - an unknown code in the trailer falls back to the status", () => {
  const metadata = new Metadata();
  metadata.set("wharf-error-code", "WHARF_MADE_UP");
  assert.equal(fromGrpcError(clientError(Status.NOT_FOUND, "x", metadata)).code, "WHARF_NOT_FOUND");
});

test("grpc errors - a WharfError passes through; a non-gRPC error is WHARF_INTERNAL", () => {
  const wharf = new WharfError("WHARF_STORAGE_FULL", "full");
  assert.equal(fromGrpcError(wharf), wharf);
  const plain = new TypeError("x is not a function");
  const error = fromGrpcError(plain);
  assert.equal(error.code, "WHARF_INTERNAL");
  assert.equal(error.cause, plain);
  assert.equal(fromGrpcError(undefined).code, "WHARF_INTERNAL");
});

test("wharf error - from(non-WharfError) is WHARF_INTERNAL, keeps the cause, hides the message", () => {
  for (const reason of [new Error("disk path /srv/x"), "a string", 42, null, undefined]) {
    const error = WharfError.from(reason);
    assert.ok(error instanceof WharfError);
    assert.equal(error.code, "WHARF_INTERNAL");
    assert.equal(error.status, Status.INTERNAL);
    assert.equal(error.message, "internal error");
    assert.equal(error.cause, reason);
  }
  const same = new WharfError("WHARF_NOT_FOUND", "gone");
  assert.equal(WharfError.from(same), same);
});

test("wharf error - retryable only for UNAVAILABLE and DEADLINE_EXCEEDED", () => {
  const retryable = allCodes.filter((code) => new WharfError(code, "x").retryable);
  assert.deepEqual(retryable.sort(), ["WHARF_DEADLINE_EXCEEDED", "WHARF_UNAVAILABLE"]);
  for (const code of retryable) assert.ok([Status.UNAVAILABLE, Status.DEADLINE_EXCEEDED].includes(errorCodes[code] as 4 | 14));
});

test("grpc errors - plain gRPC statuses without a Wharf code keep their meaning", () => {
  const plain = (code: number) => fromGrpcError({ code, details: "x", metadata: new Metadata() });
  assert.equal(plain(Status.INVALID_ARGUMENT).code, "WHARF_INVALID_ARGUMENT");
  assert.equal(plain(Status.ALREADY_EXISTS).code, "WHARF_ALREADY_EXISTS");
  assert.equal(plain(Status.UNAUTHENTICATED).code, "WHARF_AUTH_INVALID_CREDENTIALS");
});
