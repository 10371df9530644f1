import { createHash } from "node:crypto";
import { eventTypes, type FileStoredEvent } from "@wharf/contracts";

/**
 * A file.stored event as storage publishes it for `content` stored at `root`/`path` (size and SHA-256 from the
 * bytes, the root's user as the uploader), with what a test cares about changed.
 */
export function fileStoredEvent(root: string, path: string, content: string | Buffer, changes: Partial<FileStoredEvent> = {}): FileStoredEvent {
  const bytes = typeof content === "string" ? Buffer.from(content) : content;
  return {
    type: eventTypes.fileStored,
    uploadId: `${root}-${Date.now()}`,
    root,
    path,
    size: bytes.length,
    sha256: createHash("sha256").update(bytes).digest("hex"),
    user: root,
    sessionId: "test",
    portAlias: "test",
    streamEnd: "close_notify",
    storedAt: new Date().toISOString(),
    ...changes,
  };
}
