import { Counter, Histogram, type Registry } from "prom-client";

export interface StorageMetrics {
  commits: Counter<"outcome">;
  bytesWritten: Counter;
  bytesRead: Counter;
  /** From the end marker to the answer: sync, journal, rename, folder sync, ledger, event ack. */
  commitLatency: Histogram;
  recoveryActions: Counter<"action">;
  checksums: Counter<"source">;
}

export function createStorageMetrics(registry: Registry): StorageMetrics {
  return {
    commits: new Counter({
      name: "wharf_storage_uploads_total",
      help: "Uploads that ended, by outcome: committed; aborted (the caller stopped or vanished: a cut, an ABOR, no end marker, nothing for the idle timeout), quota_exceeded, not_announced (the event could not be published; rolled back), failed (anything else).",
      labelNames: ["outcome"] as const,
      registers: [registry],
    }),
    bytesRead: new Counter({
      name: "wharf_storage_read_bytes_total",
      help: "Bytes sent by Read calls (downloads, outbound pushes).",
      registers: [registry],
    }),
    commitLatency: new Histogram({
      name: "wharf_storage_commit_duration_seconds",
      help: "Time from an upload's end marker to storage's answer: file sync, journal, rename, folder sync, usage ledger and the event's acknowledgement.",
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    checksums: new Counter({
      name: "wharf_storage_checksums_total",
      help: "Checksum requests (FTP HASH, XSHA256), by source: metadata (recorded at the commit) or computed (the file was read).",
      labelNames: ["source"] as const,
      registers: [registry],
    }),
    recoveryActions: new Counter({
      name: "wharf_storage_recovery_actions_total",
      help: "What storage finished at start after an unclean stop: removed_temp (a cut upload), undone (a commit that had not reached its rename), republished (a commit whose event was published again).",
      labelNames: ["action"] as const,
      registers: [registry],
    }),
    bytesWritten: new Counter({
      name: "wharf_storage_committed_bytes_total",
      help: "Bytes of committed uploads.",
      registers: [registry],
    }),
  };
}
