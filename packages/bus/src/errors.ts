import type { MsgHdrs } from "@nats-io/nats-core";
import { isErrorCode, WharfError } from "@wharf/contracts";

/** Headers that carry an error on a NATS reply (the ADR-32 pair plus Wharf's stable code). */
export const ERROR_HEADERS = {
  code: "Wharf-Error-Code",
  serviceCode: "Nats-Service-Error-Code",
  serviceMessage: "Nats-Service-Error",
} as const;

/** Writes an error into reply headers: the one NATS mapping of WharfError. */
export function writeError(hdrs: MsgHdrs, reason: unknown): WharfError {
  const error = WharfError.from(reason);
  hdrs.set(ERROR_HEADERS.code, error.code);
  hdrs.set(ERROR_HEADERS.serviceCode, String(error.status));
  hdrs.set(ERROR_HEADERS.serviceMessage, error.message);
  return error;
}

/** Reads an error from reply headers, or undefined when the reply is a success. */
export function readError(hdrs: MsgHdrs | undefined): WharfError | undefined {
  if (!hdrs?.has(ERROR_HEADERS.code)) return undefined;
  const code = hdrs.get(ERROR_HEADERS.code);
  const message = hdrs.get(ERROR_HEADERS.serviceMessage) || "remote error";
  return new WharfError(isErrorCode(code) ? code : "WHARF_INTERNAL", message);
}
