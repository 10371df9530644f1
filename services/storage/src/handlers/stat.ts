import { storage } from "@wharf/contracts";
import type { Logger } from "@wharf/telemetry";
import type { FileStore } from "../file-store.js";
import { unary } from "../grpc-handler.js";
import { locationOf } from "./location.js";

/** Stat: one file or folder; with prefer_partial, a kept partial upload of the name first. */
export const createStatHandler = ({ store, log }: { store: FileStore; log: Logger }) =>
  unary<storage.StatRequest, storage.StatResponse>(log, async (request) => {
    const location = locationOf(request);
    if (request.preferPartial) {
      await store.confine(location); // the same confinement checks as for the file itself
      const partial = await store.partials.find(location.root, location.path);
      if (partial) {
        const name = location.path.split("/").pop() || "/";
        return { entry: { name, type: storage.EntryType.ENTRY_TYPE_FILE, size: partial.size, mtimeMs: partial.keptAt } };
      }
    }
    return { entry: await store.stat(location) };
  });
