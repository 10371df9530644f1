/**
 * gRPC status codes, the common vocabulary every wire maps to and from.
 * (Same numbers as @grpc/grpc-js `status`, kept here so pure code needs no gRPC import.)
 */
export const Status = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;
export type Status = (typeof Status)[keyof typeof Status];

/** Stable error codes and the status each one travels with. */
export const errorCodes = {
  WHARF_INVALID_ARGUMENT: Status.INVALID_ARGUMENT,
  WHARF_INVALID_PATH: Status.INVALID_ARGUMENT,
  WHARF_NOT_FOUND: Status.NOT_FOUND,
  WHARF_ALREADY_EXISTS: Status.ALREADY_EXISTS,
  WHARF_PERMISSION_DENIED: Status.PERMISSION_DENIED,
  WHARF_NOT_A_DIRECTORY: Status.FAILED_PRECONDITION,
  WHARF_IS_A_DIRECTORY: Status.FAILED_PRECONDITION,
  WHARF_DIRECTORY_NOT_EMPTY: Status.FAILED_PRECONDITION,
  WHARF_TRANSFER_ABORTED: Status.ABORTED,
  WHARF_STORAGE_FULL: Status.RESOURCE_EXHAUSTED,
  WHARF_QUOTA_EXCEEDED: Status.RESOURCE_EXHAUSTED,
  WHARF_AUTH_INVALID_CREDENTIALS: Status.UNAUTHENTICATED,
  WHARF_DEADLINE_EXCEEDED: Status.DEADLINE_EXCEEDED,
  WHARF_UNAVAILABLE: Status.UNAVAILABLE,
  WHARF_INTERNAL: Status.INTERNAL,
} as const;
export type ErrorCode = keyof typeof errorCodes;

const retryableStatuses: ReadonlySet<Status> = new Set([Status.UNAVAILABLE, Status.DEADLINE_EXCEEDED]);

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "string" && Object.hasOwn(errorCodes, value);
}

/**
 * The one error type of Wharf. Handlers throw it; each wire (NATS, gRPC, FTP)
 * maps it once. `cause` is kept for logs and never serialized, so backend
 * details (server paths, stack traces) never reach a partner.
 */
export class WharfError extends Error {
  override name = "WharfError";
  readonly code: ErrorCode;
  readonly status: Status;
  /** True only for Unavailable and DeadlineExceeded: trying again may work. */
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.status = errorCodes[code];
    this.retryable = retryableStatuses.has(this.status);
  }

  /** Normalizes anything thrown into a WharfError (unknown errors become WHARF_INTERNAL). */
  static from(reason: unknown): WharfError {
    if (reason instanceof WharfError) return reason;
    return new WharfError("WHARF_INTERNAL", "internal error", { cause: reason });
  }
}
