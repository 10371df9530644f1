import type { storage } from "@wharf/contracts";
import type { Logger } from "@wharf/telemetry";
import type { FileStore } from "../file-store.js";
import { unary } from "../grpc-handler.js";
import type { FileMetadataStore } from "../file-metadata.js";
import type { UsageLedger } from "../usage.js";
import { locationOf } from "./location.js";

/** Delete: one file (a folder is refused; that is Rmdir). The root's usage shrinks by it. */
export const createDeleteHandler = ({ store, log, usage, files }: { store: FileStore; log: Logger; usage: UsageLedger; files: FileMetadataStore }) =>
  unary<storage.DeleteRequest, storage.DeleteResponse>(log, async (request) => {
    const location = locationOf(request);
    const { size, files: count } = await store.delete(location);
    // The file is gone whatever the ledger says; a ledger that cannot be told now is corrected at its next recount.
    await usage.change(location.root, { bytes: -size, files: -count }).catch((error: unknown) => log.warn({ err: String(error), root: location.root }, "usage not updated after a delete"));
    await files.delete(location.root, location.path).catch(() => undefined);
    return {};
  });
