import { Metadata, type ServiceError, type StatusObject } from "@grpc/grpc-js";
import { type ErrorCode, isErrorCode, Status, WharfError } from "./errors.js";

/** gRPC trailer that carries the stable Wharf error code next to the status. */
const ERROR_CODE_KEY = "wharf-error-code";

/** Maps an error thrown by a handler to what a gRPC server sends. */
export function toGrpcStatus(reason: unknown): Partial<StatusObject> {
  const error = WharfError.from(reason);
  const metadata = new Metadata();
  metadata.set(ERROR_CODE_KEY, error.code);
  return { code: error.status, details: error.message, metadata };
}

/** Maps an error a gRPC client received back to a WharfError. */
export function fromGrpcError(reason: unknown): WharfError {
  if (reason instanceof WharfError) return reason;
  const serviceError = reason as Partial<ServiceError>;
  if (typeof serviceError?.code !== "number") return WharfError.from(reason);
  const sent = serviceError.metadata?.get(ERROR_CODE_KEY)[0];
  const details = serviceError.details || "storage error";
  if (isErrorCode(sent)) return new WharfError(sent, details, { cause: reason });
  return new WharfError(codeForStatus(serviceError.code), details, { cause: reason });
}

function codeForStatus(status: number): ErrorCode {
  switch (status) {
    case Status.UNAVAILABLE:
      return "WHARF_UNAVAILABLE";
    case Status.DEADLINE_EXCEEDED:
      return "WHARF_DEADLINE_EXCEEDED";
    case Status.CANCELLED:
    case Status.ABORTED:
      return "WHARF_TRANSFER_ABORTED";
    case Status.NOT_FOUND:
      return "WHARF_NOT_FOUND";
    case Status.INVALID_ARGUMENT:
      return "WHARF_INVALID_ARGUMENT";
    case Status.ALREADY_EXISTS:
      return "WHARF_ALREADY_EXISTS";
    case Status.UNAUTHENTICATED:
      return "WHARF_AUTH_INVALID_CREDENTIALS";
    case Status.PERMISSION_DENIED:
      return "WHARF_PERMISSION_DENIED";
    default:
      return "WHARF_INTERNAL";
  }
}
