import { eventTypes, FileStoredEvent, TransferEvent } from "@wharf/contracts";

/** One stored version and what became of it: its file.stored event and its pipelines' transfer events, in stream order. */
export interface FileHistory {
  stored: FileStoredEvent;
  transfers: TransferEvent[];
}

/**
 * Where a stored file stands: `stored` (no pipeline took it), `delivering`
 * (a try is running or will be retried), `delivered` (every pipeline that
 * took it delivered it or set it aside for a newer version, and at least one
 * delivered), `superseded` (every pipeline set it aside), `failed` (a pipeline
 * gave up: it is in the dead-letter stream).
 */
export type TransferStatus = "stored" | "delivering" | "delivered" | "superseded" | "failed";
export const transferStatuses: readonly TransferStatus[] = ["stored", "delivering", "delivered", "superseded", "failed"];

/** Groups events read from the event stream by upload id; transfer events of a version whose file.stored was not read are left out. */
export function collectHistories(bodies: Iterable<unknown>): Map<string, FileHistory> {
  const histories = new Map<string, FileHistory>();
  const early = new Map<string, TransferEvent[]>();
  for (const body of bodies) {
    const stored = FileStoredEvent.safeParse(body);
    if (stored.success) {
      // The same version announced again (a dead-letter replay, a republished commit) goes on with its history.
      if (!histories.has(stored.data.uploadId)) histories.set(stored.data.uploadId, { stored: stored.data, transfers: early.get(stored.data.uploadId) ?? [] });
      early.delete(stored.data.uploadId);
      continue;
    }
    const transfer = TransferEvent.safeParse(body);
    if (!transfer.success) continue;
    const history = histories.get(transfer.data.uploadId);
    // A replayed or republished file.stored may come after transfers of the same version.
    if (history) history.transfers.push(transfer.data);
    else early.set(transfer.data.uploadId, [...(early.get(transfer.data.uploadId) ?? []), transfer.data]);
  }
  return histories;
}

/** Each pipeline's last transfer event for the version. */
export function lastByPipeline(history: FileHistory): Map<string, TransferEvent> {
  const last = new Map<string, TransferEvent>();
  for (const transfer of history.transfers) last.set(transfer.pipeline, transfer);
  return last;
}

export function statusOf(history: FileHistory): TransferStatus {
  const last = [...lastByPipeline(history).values()].map((transfer) => transfer.type);
  if (last.length === 0) return "stored";
  if (last.includes(eventTypes.transferDeadLettered)) return "failed";
  if (last.some((type) => type === eventTypes.transferStarted || type === eventTypes.transferFailed)) return "delivering";
  return last.includes(eventTypes.transferCompleted) ? "delivered" : "superseded";
}
