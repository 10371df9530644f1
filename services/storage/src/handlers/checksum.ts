import type { storage } from "@wharf/contracts";
import type { Logger } from "@wharf/telemetry";
import type { FileMetadataStore } from "../file-metadata.js";
import type { FileStore } from "../file-store.js";
import { unary } from "../grpc-handler.js";
import type { StorageMetrics } from "../metrics.js";
import { locationOf } from "./location.js";

/**
 * Checksum: a file's SHA-256. Answered from the metadata recorded at its
 * commit while the file on disk is still the one it describes (same inode,
 * size and modification time); otherwise computed from the bytes.
 */
export const createChecksumHandler = ({ store, log, files, metrics }: { store: FileStore; log: Logger; files: FileMetadataStore; metrics: StorageMetrics }) =>
  unary<storage.ChecksumRequest, storage.ChecksumResponse>(log, async (request) => {
    const location = locationOf(request);
    const [disk, recorded] = await Promise.all([store.identity(location), files.get(location.root, location.path).catch(() => undefined)]);
    if (recorded && recorded.disk.ino === disk.ino && recorded.disk.size === disk.size && recorded.disk.mtimeMs === disk.mtimeMs) {
      metrics.checksums.inc({ source: "metadata" });
      return { sha256: recorded.sha256, size: recorded.size };
    }
    metrics.checksums.inc({ source: "computed" });
    return store.checksum(location);
  });
