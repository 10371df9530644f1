import { type storage, WharfError } from "@wharf/contracts";
import type { Logger } from "@wharf/telemetry";
import type { FileStore } from "../file-store.js";
import { unary } from "../grpc-handler.js";

/** Rename: moves a file or folder inside one root. */
export const createRenameHandler = ({ store, log }: { store: FileStore; log: Logger }) =>
  unary<storage.RenameRequest, storage.RenameResponse>(log, async (request) => {
    if (!request.from) throw new WharfError("WHARF_INVALID_ARGUMENT", "location missing");
    await store.rename(request.from, request.toPath);
    return {};
  });
