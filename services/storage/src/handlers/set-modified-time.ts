import type { storage } from "@wharf/contracts";
import type { Logger } from "@wharf/telemetry";
import type { FileStore } from "../file-store.js";
import { unary } from "../grpc-handler.js";
import { locationOf } from "./location.js";

/** SetModifiedTime: a file's modification time (FTP MFMT). */
export const createSetModifiedTimeHandler = ({ store, log }: { store: FileStore; log: Logger }) =>
  unary<storage.SetModifiedTimeRequest, storage.SetModifiedTimeResponse>(log, async (request) => {
    await store.setModifiedTime(locationOf(request), request.mtimeMs);
    return {};
  });
