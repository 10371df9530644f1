import type { storage } from "@wharf/contracts";
import type { Logger } from "@wharf/telemetry";
import type { FileStore } from "../file-store.js";
import { unary } from "../grpc-handler.js";
import { locationOf } from "./location.js";

/** Mkdir: one folder whose parent exists. */
export const createMkdirHandler = ({ store, log }: { store: FileStore; log: Logger }) =>
  unary<storage.MkdirRequest, storage.MkdirResponse>(log, async (request) => {
    await store.mkdir(locationOf(request));
    return {};
  });
