import { type storage, WharfError } from "@wharf/contracts";
import type { Logger } from "@wharf/telemetry";
import type { FileStore } from "../file-store.js";
import { unary } from "../grpc-handler.js";
import type { FileMetadataStore } from "../file-metadata.js";
import type { UsageLedger } from "../usage.js";

/** Rename: moves a file or folder inside one root; a file it replaces leaves the root's usage. */
export const createRenameHandler = ({ store, log, usage, files }: { store: FileStore; log: Logger; usage: UsageLedger; files: FileMetadataStore }) =>
  unary<storage.RenameRequest, storage.RenameResponse>(log, async (request) => {
    if (!request.from) throw new WharfError("WHARF_INVALID_ARGUMENT", "location missing");
    const { replacedSize } = await store.rename(request.from, request.toPath, { noOverwrite: request.noOverwrite });
    const root = request.from.root;
    if (replacedSize !== undefined) {
      await usage.change(root, { bytes: -replacedSize, files: -1 }).catch((error: unknown) => log.warn({ err: String(error), root }, "usage not updated after a rename"));
    }
    await files.move(root, request.from.path, request.toPath).catch((error: unknown) => log.warn({ err: String(error), root }, "file metadata not moved"));
    return {};
  });
