import type { handleServerStreamingCall } from "@grpc/grpc-js";
import { type storage, toGrpcStatus } from "@wharf/contracts";
import type { Logger } from "@wharf/telemetry";
import type { FileStore } from "../file-store.js";
import { logUnexpected } from "../grpc-handler.js";
import { writeOrStop } from "../stream-writes.js";

/** List: streams a folder's entries in pages, so a huge folder never sits in memory whole. */
export function createListHandler({ store, log }: { store: FileStore; log: Logger }): handleServerStreamingCall<storage.ListRequest, storage.ListResponse> {
  return (call) => {
    void (async () => {
      // Leaving the loop early (return) closes the folder handle through the generator's finally.
      for await (const entries of store.list(call.request.location ?? { root: "", path: "" })) {
        if (!(await writeOrStop(call, { entries }))) return;
      }
      call.end();
    })().catch((error: unknown) => {
      logUnexpected(log, error);
      if (!call.cancelled) call.emit("error", toGrpcStatus(error));
    });
  };
}
