import { z } from "zod";
import { eventTypes } from "../subjects.js";

/**
 * Published by storage after a file was committed, with the upload id as the
 * JetStream message id so a repeated publish is dropped by the stream.
 */
export const FileStoredEvent = z.object({
  type: z.literal(eventTypes.fileStored),
  /** The upload id: unique per committed version, the deduplication key. */
  uploadId: z.string().min(1),
  /** The storage root the file lives in (the uploader's home). */
  root: z.string(),
  /** Absolute virtual path inside the root. */
  path: z.string().startsWith("/"),
  size: z.number().int().nonnegative(),
  /** Lowercase hex SHA-256 of the stored bytes. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  user: z.string(),
  sessionId: z.string(),
  portAlias: z.string(),
  /** How the client ended the data stream: "close_notify" (TLS), "fin" (bare TCP FIN). */
  streamEnd: z.string(),
  /** ISO 8601 time of the commit. */
  storedAt: z.string(),
});
export type FileStoredEvent = z.infer<typeof FileStoredEvent>;
