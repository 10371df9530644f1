import { Counter, type Registry } from "prom-client";

export interface StorageMetrics {
  commits: Counter<"outcome">;
  bytesWritten: Counter;
  recoveryActions: Counter<"action">;
}

export function createStorageMetrics(registry: Registry): StorageMetrics {
  return {
    commits: new Counter({
      name: "wharf_storage_uploads_total",
      help: "Uploads that ended, by outcome (committed, aborted by the client, quota_exceeded, failed).",
      labelNames: ["outcome"] as const,
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
