import type { handleUnaryCall, ServerUnaryCall } from "@grpc/grpc-js";
import { toGrpcStatus, WharfError } from "@wharf/contracts";
import type { Logger } from "@wharf/telemetry";

/** Wraps a promise-returning unary handler: a thrown error becomes the gRPC status, logged once if unexpected. */
export function unary<Req, Res>(log: Logger, work: (request: Req, call: ServerUnaryCall<Req, Res>) => Promise<Res>): handleUnaryCall<Req, Res> {
  return (call, callback) => {
    work(call.request, call).then(
      (response) => callback(null, response),
      (error: unknown) => {
        logUnexpected(log, error);
        callback(toGrpcStatus(error));
      },
    );
  };
}

/** Internal errors are the ones worth a log line; a missing file is a normal answer. */
export function logUnexpected(log: Logger, error: unknown): void {
  if (WharfError.from(error).code === "WHARF_INTERNAL") log.error({ err: error }, "storage request failed");
}
