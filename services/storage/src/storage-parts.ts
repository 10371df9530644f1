import type { NatsConnection } from "@wharf/bus";
import { createFileMetadataStore, type FileMetadataStore } from "./file-metadata.js";
import { createFileStore, type Failpoint, type FileStore } from "./file-store.js";
import { createPartialUploads, type PartialUploads } from "./partials.js";
import { createUsageLedger, type UsageLedger } from "./usage.js";

/** What a storage service keeps its state in: files on disk, kept partials, and the shared ledger and metadata on NATS. */
export interface StorageParts {
  store: FileStore;
  usage: UsageLedger;
  partials: PartialUploads;
  files: FileMetadataStore;
}

export interface StoragePartsOptions {
  /** A kept cut upload's time to live; 0 keeps none. */
  partialTtlMs?: number;
  /** How old a root's usage count may get before it is counted from disk again. */
  usageRecountMs?: number;
  /** The partials' clock (tests move it). */
  now?: () => number;
  /** Crash tests only. */
  failpoint?: Failpoint;
}

/** Makes the parts of one storage service on `dataDir`, the same way for `npm start`, tests and the bench. */
export async function createStorageParts(nc: NatsConnection, dataDir: string, { partialTtlMs = 86_400_000, usageRecountMs, now, failpoint }: StoragePartsOptions = {}): Promise<StorageParts> {
  const store = await createFileStore(dataDir, failpoint ? { failpoint } : {});
  return {
    store,
    usage: await createUsageLedger(nc, (root) => store.usage(root), usageRecountMs === undefined ? {} : { recountMs: usageRecountMs }),
    partials: await createPartialUploads(store.partialsDir, { ttlMs: partialTtlMs, ...(now ? { now } : {}) }),
    files: await createFileMetadataStore(nc),
  };
}
