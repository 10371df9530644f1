import type { storage } from "@wharf/contracts";
import type { Logger } from "@wharf/telemetry";
import type { FileStore } from "../file-store.js";
import { unary } from "../grpc-handler.js";
import { locationOf } from "./location.js";

/** Delete: one file (a folder is refused; that is Rmdir). */
export const createDeleteHandler = ({ store, log }: { store: FileStore; log: Logger }) =>
  unary<storage.DeleteRequest, storage.DeleteResponse>(log, async (request) => {
    await store.delete(locationOf(request));
    return {};
  });
