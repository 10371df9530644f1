import type { NatsConnection } from "@wharf/bus";
import { createFileMetadataStore, type FileMetadataStore } from "./file-metadata.js";
import type { Failpoint, FileStore } from "./file-store.js";
import { createFilesystemStore } from "./filesystem-store.js";
import { createObjectStore } from "./object-store.js";
import { createUsageLedger, type UsageLedger } from "./usage.js";

/** What a storage service keeps its state in: the files (and kept partials) in a backend, and the shared ledger and metadata on NATS. */
export interface StorageParts {
  store: FileStore;
  usage: UsageLedger;
  files: FileMetadataStore;
}

/** Which backend holds the files: a local (or NFS) folder, or a JetStream object store on the same NATS. */
export type BackendChoice = { kind: "filesystem"; dataDir: string } | { kind: "object-store"; bucket?: string; replicas?: number; instanceId: string; staleMs?: number };

export interface StoragePartsOptions {
  /** A kept cut upload's time to live; 0 keeps none. */
  partialTtlMs?: number;
  /** How old a root's usage count may get before it is counted from the store again. */
  usageRecountMs?: number;
  /** The partials' clock (tests move it). */
  now?: () => number;
  /** Crash tests only. */
  failpoint?: Failpoint;
  /** Copies of the file and usage buckets when this creates them (WHARF_NATS_REPLICAS). */
  replicas?: number;
}

/** Makes the parts of one storage service, the same way for `npm start`, tests and the bench. */
export async function createStorageParts(
  nc: NatsConnection,
  backend: BackendChoice,
  { partialTtlMs = 86_400_000, usageRecountMs, now, failpoint, replicas = 1 }: StoragePartsOptions = {},
): Promise<StorageParts> {
  const options = { partialTtlMs, ...(now ? { now } : {}), ...(failpoint ? { failpoint } : {}) };
  const store =
    backend.kind === "filesystem"
      ? await createFilesystemStore(backend.dataDir, options)
      : await createObjectStore(nc, { ...options, instanceId: backend.instanceId, ...(backend.bucket ? { bucket: backend.bucket } : {}), ...(backend.replicas ? { replicas: backend.replicas } : {}), ...(backend.staleMs ? { staleMs: backend.staleMs } : {}) });
  return {
    store,
    usage: await createUsageLedger(nc, (root) => store.usage(root), { replicas, ...(usageRecountMs === undefined ? {} : { recountMs: usageRecountMs }) }),
    files: await createFileMetadataStore(nc, { replicas }),
  };
}
