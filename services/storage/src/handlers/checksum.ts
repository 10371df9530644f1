import type { storage } from "@wharf/contracts";
import type { Logger } from "@wharf/telemetry";
import type { FileStore } from "../file-store.js";
import { unary } from "../grpc-handler.js";
import { locationOf } from "./location.js";

/**
 * Checksum: a file's SHA-256, computed from the bytes on disk (the stored
 * metadata that will let it skip the read is part of the storage work to come).
 */
export const createChecksumHandler = ({ store, log }: { store: FileStore; log: Logger }) =>
  unary<storage.ChecksumRequest, storage.ChecksumResponse>(log, (request) => store.checksum(locationOf(request)));
