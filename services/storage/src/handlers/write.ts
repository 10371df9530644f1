import type { handleClientStreamingCall } from "@grpc/grpc-js";
import { context } from "@opentelemetry/api";
import { publishEvent } from "@wharf/bus";
import type { NatsConnection } from "@wharf/bus";
import { eventTypes, type FileStoredEvent, metadataCarrier, type storage, subjects, toGrpcStatus, WharfError } from "@wharf/contracts";
import { extractTraceContext, type Logger } from "@wharf/telemetry";
import type { FileStore } from "../file-store.js";
import { logUnexpected } from "../grpc-handler.js";
import type { StorageMetrics } from "../metrics.js";
import { Upload } from "../upload.js";

export interface WriteDeps {
  store: FileStore;
  nc: NatsConnection;
  log: Logger;
  metrics: StorageMetrics;
}

/**
 * Write: header, chunks, end marker. The answer comes only after the commit
 * and the acknowledged file.stored event, so the listener's 226 means the file
 * is durable and announced. A stream that stops early (no end marker, a
 * cancelled call) is aborted: the temp file is removed and nothing is published.
 *
 * The event is published after the rename: if publishing fails the client gets
 * an error (and retries the upload under a new id) while the file is already in
 * place; a missing event is never a missing file.
 */
export function createWriteHandler({ store, nc, log, metrics }: WriteDeps): handleClientStreamingCall<storage.WriteRequest, storage.WriteResponse> {
  return (call, callback) => {
    let upload: Upload | undefined;
    call.once("cancelled", () => call.destroy(new WharfError("WHARF_TRANSFER_ABORTED", "upload cancelled by the client")));
    void (async () => {
      let endMarker: storage.WriteEnd | undefined;
      for await (const part of call as AsyncIterable<storage.WriteRequest>) {
        if (endMarker) throw new WharfError("WHARF_INVALID_ARGUMENT", "data after the end marker");
        if (part.header) {
          if (upload) throw new WharfError("WHARF_INVALID_ARGUMENT", "a second upload header");
          upload = await Upload.open(store, part.header);
        } else if (!upload) {
          throw new WharfError("WHARF_INVALID_ARGUMENT", "an upload starts with its header");
        } else if (part.chunk) {
          await upload.append(part.chunk);
        } else if (part.end) {
          endMarker = part.end;
        }
      }
      if (!upload) throw new WharfError("WHARF_INVALID_ARGUMENT", "an upload starts with its header");
      if (!endMarker) throw new WharfError("WHARF_TRANSFER_ABORTED", "the upload ended before its end marker");
      const committed = await upload.commit();
      const { header } = upload;
      const event: FileStoredEvent = {
        type: eventTypes.fileStored,
        uploadId: header.uploadId,
        root: upload.location.root,
        path: upload.location.path,
        size: committed.size,
        sha256: committed.sha256,
        user: header.user,
        sessionId: header.sessionId,
        portAlias: header.portAlias,
        streamEnd: endMarker.streamEnd || "unknown",
        storedAt: new Date().toISOString(),
      };
      try {
        // The event carries the uploader's trace, so the push joins the same trace.
        const trace = extractTraceContext(metadataCarrier(call.metadata));
        await context.with(trace, () => publishEvent(nc, subjects.fileStored, event, { msgId: header.uploadId }));
      } catch (error) {
        throw new WharfError("WHARF_UNAVAILABLE", "the file was stored but its event could not be published", { cause: error });
      }
      return { ...committed, uploadId: header.uploadId };
    })().then(
      (response) => {
        metrics.commits.inc({ outcome: "committed" });
        metrics.bytesWritten.inc(response.size);
        log.info({ uploadId: response.uploadId, path: upload?.location.path, root: upload?.location.root, size: response.size, sha256: response.sha256 }, "upload committed");
        callback(null, response);
      },
      async (error: unknown) => {
        await upload?.abort();
        const aborted = call.cancelled || WharfError.from(error).code === "WHARF_TRANSFER_ABORTED";
        metrics.commits.inc({ outcome: aborted ? "aborted" : "failed" });
        log.info({ uploadId: upload?.header.uploadId, received: upload?.bytes, reason: WharfError.from(error).message }, "upload not committed");
        logUnexpected(log, error);
        if (!call.cancelled) callback(toGrpcStatus(error));
      },
    );
  };
}
