import { z } from "zod";
import { eventTypes } from "../subjects.js";

/**
 * Published by outbound for every delivery attempt (DESIGN.md §5, §7): when it
 * starts, and how it ended (completed, failed and to be tried again, or dead-
 * lettered). Together with file.stored they are a file's transfer history.
 */
export const TransferEvent = z.object({
  type: z.enum([eventTypes.transferStarted, eventTypes.transferCompleted, eventTypes.transferFailed, eventTypes.transferDeadLettered, eventTypes.transferSuperseded]),
  pipeline: z.string(),
  endpoint: z.string(),
  /** The stored version: its upload id, root, path, size and SHA-256 (as in its file.stored event). */
  uploadId: z.string(),
  root: z.string(),
  path: z.string(),
  size: z.number().int().nonnegative(),
  sha256: z.string(),
  /** 1 for the first try. */
  attempt: z.number().int().min(1),
  /** How long the attempt took (not on transfer.started). */
  durationMs: z.number().nonnegative().optional(),
  /** Where the file is at the partner (transfer.completed). */
  remotePath: z.string().optional(),
  /** The partner's last reply (transfer.completed), e.g. "250 Rename successful." */
  reply: z.string().optional(),
  /** What the partner confirmed it holds (transfer.completed): its size, also its SHA-256 when it offers HASH or XSHA256, or nothing. */
  verified: z.enum(["size", "sha256", "none"]).optional(),
  /** Why it failed (transfer.failed, transfer.dead_lettered), or why it was set aside (transfer.superseded). */
  reason: z.string().optional(),
  /** The TLS version the partner spoke. */
  tls: z.string().optional(),
  /** Whether the delivery went over a session an earlier one left open (transfer.completed): no new connection, TLS handshake or login. */
  sessionReused: z.boolean().optional(),
  at: z.string(),
});
export type TransferEvent = z.infer<typeof TransferEvent>;
