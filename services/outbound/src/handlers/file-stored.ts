import { FileStoredEvent } from "@wharf/contracts";
import type { Logger } from "@wharf/telemetry";
import type { Counter } from "prom-client";

/**
 * Handles one file.stored event. For now it validates and logs the event (the
 * push to partners' servers is its own piece of work); a malformed event is
 * logged and counted, not retried forever.
 */
export function createFileStoredHandler({ log, events }: { log: Logger; events: Counter<"outcome"> }) {
  return async (body: unknown): Promise<void> => {
    const parsed = FileStoredEvent.safeParse(body);
    if (!parsed.success) {
      events.inc({ outcome: "malformed" });
      log.error({ issues: parsed.error.issues.map((issue) => issue.message) }, "malformed file.stored event dropped");
      return;
    }
    const event = parsed.data;
    events.inc({ outcome: "received" });
    log.info({ uploadId: event.uploadId, root: event.root, path: event.path, size: event.size, sha256: event.sha256, user: event.user }, "file stored");
  };
}
