import type { storage } from "@wharf/contracts";
import type { Logger } from "@wharf/telemetry";
import type { FileMetadataStore } from "../file-metadata.js";
import type { FileStore } from "../file-store.js";
import { unary } from "../grpc-handler.js";
import type { StorageMetrics } from "../metrics.js";
import { locationOf } from "./location.js";

/**
 * Checksum: a file's SHA-256. Answered from the metadata recorded at its
 * commit while the stored file is still the one it describes (same version,
 * size and modification time); otherwise computed from the bytes.
 */
export const createChecksumHandler = ({ store, log, files, metrics }: { store: FileStore; log: Logger; files: FileMetadataStore; metrics: StorageMetrics }) =>
  unary<storage.ChecksumRequest, storage.ChecksumResponse>(log, async (request) => {
    const location = locationOf(request);
    const [current, recorded] = await Promise.all([store.identity(location), files.get(location.root, location.path).catch(() => undefined)]);
    if (recorded && recorded.disk.version === current.version && recorded.disk.size === current.size && recorded.disk.mtimeMs === current.mtimeMs) {
      metrics.checksums.inc({ source: "metadata" });
      return { sha256: recorded.sha256, size: recorded.size };
    }
    metrics.checksums.inc({ source: "computed" });
    return store.checksum(location);
  });
