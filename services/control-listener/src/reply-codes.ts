import { type ErrorCode, WharfError } from "@wharf/contracts";

export interface FtpReply {
  code: number;
  text: string;
}

/**
 * The one mapping of Wharf errors to FTP replies. Texts are fixed and generic:
 * a reply never carries a server path, a storage address or a stack trace.
 */
const replies: Record<ErrorCode, FtpReply> = {
  WHARF_INVALID_ARGUMENT: { code: 501, text: "Syntax error in parameters or arguments." },
  WHARF_INVALID_PATH: { code: 553, text: "File name not allowed." },
  WHARF_NOT_FOUND: { code: 550, text: "No such file or folder." },
  WHARF_ALREADY_EXISTS: { code: 550, text: "File or folder already exists." },
  WHARF_PERMISSION_DENIED: { code: 550, text: "Permission denied." },
  WHARF_NOT_A_DIRECTORY: { code: 550, text: "Not a folder." },
  WHARF_IS_A_DIRECTORY: { code: 550, text: "Is a folder." },
  WHARF_DIRECTORY_NOT_EMPTY: { code: 550, text: "Folder not empty." },
  WHARF_TRANSFER_ABORTED: { code: 426, text: "Connection closed; transfer aborted." },
  WHARF_STORAGE_FULL: { code: 452, text: "Insufficient storage space." },
  // RFC 959: 552 "Requested file action aborted. Exceeded storage allocation."
  WHARF_QUOTA_EXCEEDED: { code: 552, text: "Exceeded storage allocation (quota)." },
  WHARF_AUTH_INVALID_CREDENTIALS: { code: 530, text: "Login incorrect." },
  WHARF_DEADLINE_EXCEEDED: { code: 451, text: "Requested action aborted: local error in processing." },
  WHARF_UNAVAILABLE: { code: 451, text: "Requested action aborted: local error in processing." },
  WHARF_INTERNAL: { code: 451, text: "Requested action aborted: local error in processing." },
};

export function replyFor(reason: unknown): FtpReply {
  return replies[WharfError.from(reason).code];
}
