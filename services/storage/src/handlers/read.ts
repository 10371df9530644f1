import type { handleServerStreamingCall } from "@grpc/grpc-js";
import { type storage, toGrpcStatus } from "@wharf/contracts";
import type { Logger } from "@wharf/telemetry";
import type { FileStore } from "../file-store.js";
import { logUnexpected } from "../grpc-handler.js";
import type { StorageMetrics } from "../metrics.js";
import { writeOrStop } from "../stream-writes.js";

/** Read: streams a file from an offset, pausing the disk while gRPC's buffer is full. */
export function createReadHandler({ store, log, metrics }: { store: FileStore; log: Logger; metrics: StorageMetrics }): handleServerStreamingCall<storage.ReadRequest, storage.ReadResponse> {
  return (call) => {
    void (async () => {
      const location = call.request.location ?? { root: "", path: "" };
      const stream = await store.openRead(location, call.request.offset);
      call.once("cancelled", () => stream.destroy());
      try {
        for await (const chunk of stream) {
          metrics.bytesRead.inc((chunk as Buffer).byteLength);
          if (!(await writeOrStop(call, { chunk: chunk as Buffer }))) return;
        }
      } finally {
        stream.destroy();
      }
      call.end();
    })().catch((error: unknown) => {
      // A reader that went away (its partner cut the transfer) ends the read: nothing to log or answer.
      if (call.cancelled) return;
      logUnexpected(log, error);
      call.emit("error", toGrpcStatus(error));
    });
  };
}
