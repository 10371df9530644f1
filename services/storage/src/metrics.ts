import { Counter, type Registry } from "prom-client";

export interface StorageMetrics {
  commits: Counter<"outcome">;
  bytesWritten: Counter;
}

export function createStorageMetrics(registry: Registry): StorageMetrics {
  return {
    commits: new Counter({
      name: "wharf_storage_uploads_total",
      help: "Uploads that ended, by outcome (committed, aborted by the client, failed).",
      labelNames: ["outcome"] as const,
      registers: [registry],
    }),
    bytesWritten: new Counter({
      name: "wharf_storage_committed_bytes_total",
      help: "Bytes of committed uploads.",
      registers: [registry],
    }),
  };
}
