import type { storage } from "@wharf/contracts";
import type { Logger } from "@wharf/telemetry";
import type { FileStore } from "../file-store.js";
import { unary } from "../grpc-handler.js";
import { locationOf } from "./location.js";

/** Rmdir: one empty folder, never the root. */
export const createRmdirHandler = ({ store, log }: { store: FileStore; log: Logger }) =>
  unary<storage.RmdirRequest, storage.RmdirResponse>(log, async (request) => {
    await store.rmdir(locationOf(request));
    return {};
  });
