import type { storage } from "@wharf/contracts";
import type { Logger } from "@wharf/telemetry";
import type { FileStore } from "../file-store.js";
import { unary } from "../grpc-handler.js";
import { locationOf } from "./location.js";

/** Stat: one file or folder. */
export const createStatHandler = ({ store, log }: { store: FileStore; log: Logger }) =>
  unary<storage.StatRequest, storage.StatResponse>(log, async (request) => ({ entry: await store.stat(locationOf(request)) }));
