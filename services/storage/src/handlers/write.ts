import type { handleBidiStreamingCall } from "@grpc/grpc-js";
import { context } from "@opentelemetry/api";
import { publishEvent } from "@wharf/bus";
import type { NatsConnection } from "@wharf/bus";
import { eventTypes, type FileStoredEvent, metadataCarrier, type storage, subjects, toGrpcStatus, WharfError } from "@wharf/contracts";
import { extractTraceContext, type Logger } from "@wharf/telemetry";
import type { Failpoint, FileStore } from "../file-store.js";
import { logUnexpected } from "../grpc-handler.js";
import type { StorageMetrics } from "../metrics.js";
import { Upload } from "../upload.js";
import { type FileMetadataStore, recordCommit } from "../file-metadata.js";
import type { UsageLedger } from "../usage.js";
import type { CallerGate } from "../caller-gate.js";

export interface WriteDeps {
  store: FileStore;
  nc: NatsConnection;
  log: Logger;
  metrics: StorageMetrics;
  /** An upload with no message for this long is aborted (its caller is gone). */
  uploadIdleTimeoutMs: number;
  /** Crash tests only: stops the process at a step of the commit. */
  failpoint?: Failpoint;
  /** Bytes and files per root, for quotas. */
  usage: UsageLedger;
  /** What storage records about each committed version. */
  files: FileMetadataStore;
  /** Whether the caller may upload into the header's root, as its user (caller-gate.ts). */
  gate?: CallerGate;
}

/**
 * Write: header, chunks, end marker. A `ready` answer follows the accepted
 * header; the final answer comes only after the commit and the acknowledged
 * file.stored event, so the listener's 226 means the file
 * is durable and announced. A stream that stops early (no end marker, a
 * cancelled call) is aborted: nothing is published, and what arrived is kept
 * as the name's partial for a resume (a refused or failed upload is deleted).
 *
 * The event is published after the rename; if it cannot be published, the
 * commit is rolled back (the previous version returns) and the client gets an
 * error, so "no event" always means "no new version".
 */
export function createWriteHandler({
  store,
  nc,
  log,
  metrics,
  uploadIdleTimeoutMs,
  failpoint = () => undefined,
  usage,
  files,
  gate = () => undefined,
}: WriteDeps): handleBidiStreamingCall<storage.WriteRequest, storage.WriteResponse> {
  return (call) => {
    let upload: Upload | undefined;
    // The upload stops early when the call is cancelled, or when no message comes for the idle time:
    // a cancelled call does not reliably end the message iterator (nor emit 'cancelled' if it was
    // cancelled before this handler ran), and a caller that vanished without a reset never ends it.
    let stopUpload!: (reason: WharfError) => void;
    const stopped = new Promise<never>((_, reject) => {
      stopUpload = reject;
    });
    stopped.catch(() => undefined);
    /**
     * Why the upload ended without a commit, for the metric. "aborted" covers a cancelled call, a
     * stream without its end marker and an idle stream: which of them a vanished caller shows depends
     * on timing, so they are one outcome.
     */
    let ending: "aborted" | "not_announced" | undefined;
    const cancel = () => {
      ending ??= "aborted";
      stopUpload(new WharfError("WHARF_TRANSFER_ABORTED", "upload cancelled by the client"));
    };
    if (call.cancelled) cancel();
    else call.once("cancelled", cancel);
    // One timer for the whole upload, re-armed only when it fires early: re-arming it on every
    // message cost a timer allocation per 16 KiB chunk.
    let lastMessageAt = Date.now();
    const touch = () => {
      lastMessageAt = Date.now();
    };
    const checkIdle = () => {
      const idleMs = Date.now() - lastMessageAt;
      if (idleMs >= uploadIdleTimeoutMs) {
        ending ??= "aborted";
        stopUpload(new WharfError("WHARF_TRANSFER_ABORTED", "upload idle for too long"));
      }
      else idleTimer = setTimeout(checkIdle, uploadIdleTimeoutMs - idleMs);
    };
    let idleTimer = setTimeout(checkIdle, uploadIdleTimeoutMs);
    void (async () => {
      let endMarker: storage.WriteEnd | undefined;
      const parts = (call as AsyncIterable<storage.WriteRequest>)[Symbol.asyncIterator]();
      for (;;) {
        const next = await Promise.race([parts.next(), stopped]);
        if (next.done) break;
        touch();
        const part = next.value;
        if (endMarker) throw new WharfError("WHARF_INVALID_ARGUMENT", "data after the end marker");
        if (part.header) {
          if (upload) throw new WharfError("WHARF_INVALID_ARGUMENT", "a second upload header");
          gate(call, part.header.location?.root ?? "", part.header.user);
          upload = await Upload.open(store, part.header, usage);
          // The caller waits for this before it lets its client send (FTP's 150).
          call.write({ ready: true, size: 0, sha256: "", uploadId: "" });
          await upload.copyKeptPart();
        } else if (!upload) {
          throw new WharfError("WHARF_INVALID_ARGUMENT", "an upload starts with its header");
        } else if (part.chunk) {
          await upload.append(part.chunk);
        } else if (part.end) {
          endMarker = part.end;
        }
      }
      // The stream is over: the idle limit no longer applies (a slow commit is not an idle caller).
      clearTimeout(idleTimer);
      if (!upload) throw new WharfError("WHARF_INVALID_ARGUMENT", "an upload starts with its header");
      if (!endMarker) {
        // The listener sends the end marker for every complete upload: a stream without one was stopped by its caller.
        ending ??= "aborted";
        throw new WharfError("WHARF_TRANSFER_ABORTED", "the upload ended before its end marker");
      }
      const stopCommitTimer = metrics.commitLatency.startTimer();
      const { header, location } = upload;
      const streamEnd = endMarker.streamEnd || "unknown";
      // The ledger is where two uploads racing for the last of a quota are told apart. With a quota,
      // the change is made under the commit's lock before the file is put in place, so a refused
      // upload is never visible; without one nothing can be refused there, so it goes alongside the event.
      const limited = header.quotaBytes > 0 || header.quotaFiles > 0;
      const deltaOf = (replaced: number | undefined, size: number) => ({ bytes: size - (replaced ?? 0), files: replaced === undefined ? 1 : 0 });
      let reservation: { bytes: number; files: number } | undefined;
      const unreserve = async () => {
        if (reservation) await usage.change(location.root, { bytes: -reservation.bytes, files: -reservation.files }).catch(() => undefined);
        reservation = undefined;
      };
      const committed = await upload
        .commit(
        ({ size, sha256 }): FileStoredEvent => ({
          type: eventTypes.fileStored,
          uploadId: header.uploadId,
          root: location.root,
          path: location.path,
          size,
          sha256,
          user: header.user,
          sessionId: header.sessionId,
          portAlias: header.portAlias,
          streamEnd,
          storedAt: new Date().toISOString(),
        }),
        limited
          ? async (replaced) => {
              const change = deltaOf(replaced, upload?.bytes ?? 0);
              await usage.change(location.root, change, { bytes: header.quotaBytes, files: header.quotaFiles });
              reservation = change;
            }
          : undefined,
        )
        .catch(async (error: unknown) => {
          // Counted but not put in place (the name was taken, the rename failed): take the count back.
          await unreserve();
          throw error;
        });
      const event = committed.record;
      // What the commit replaced, as seen under its lock (not when the upload opened: the name may have changed since).
      const delta = deltaOf(committed.pending.replacedSize, committed.size);
      const counted = limited
        ? Promise.resolve(reservation !== undefined)
        : usage.change(location.root, delta).then(
            () => true,
            (error: unknown) => {
              log.warn({ err: String(error), root: location.root }, "usage not updated after a commit; the next recount corrects it");
              return false;
            },
          );
      try {
        // The event carries the uploader's trace, so the push joins the same trace.
        const trace = extractTraceContext(metadataCarrier(call.metadata));
        // The metadata (checksum, uploader, …) is written alongside; without it HASH reads the file instead.
        const recorded = recordCommit(files, event, committed.pending.identity).catch((error: unknown) =>
          log.warn({ err: String(error), uploadId: header.uploadId }, "file metadata not recorded; checksums will be read from the file"),
        );
        await context.with(trace, () =>
          publishEvent(nc, subjects.fileStored, event, {
            msgId: header.uploadId,
          }),
        );
        await Promise.all([recorded, counted]);
      } catch (error) {
        // No event, no new version: put the previous one back, so the client's retry starts from the old state.
        ending = "not_announced";
        await committed.pending.rollback();
        if (await counted) await usage.change(location.root, { bytes: -delta.bytes, files: -delta.files }).catch(() => undefined);
        throw new WharfError("WHARF_UNAVAILABLE", "the event could not be published; the upload was not stored", { cause: error });
      }
      await failpoint("after-publish");
      // The file is stored and announced, so the answer does not wait for the tidying up (the kept previous
      // version, the journal; should it fail or the process stop first, recovery finishes it), only for the
      // kept partial of the name to go: a SIZE right after the 226 must not find it.
      void committed.pending.confirm().catch((error: unknown) => log.warn({ err: String(error), uploadId: header.uploadId }, "commit stored and announced, but not tidied up; recovery finishes it"));
      await store.partials.drop(location.root, location.path).catch(() => undefined);
      stopCommitTimer();
      return {
        size: committed.size,
        sha256: committed.sha256,
        uploadId: header.uploadId,
        ready: false,
      };
    })()
      .finally(() => clearTimeout(idleTimer))
      .then(
        (response) => {
          metrics.commits.inc({ outcome: "committed" });
          metrics.bytesWritten.inc(response.size);
          log.info(
            {
              uploadId: response.uploadId,
              path: upload?.location.path,
              root: upload?.location.root,
              size: response.size,
              sha256: response.sha256,
            },
            "upload committed",
          );
          call.write(response);
          call.end();
        },
        async (error: unknown) => {
          // A cut upload is kept for a resume (REST + STOR, APPE); a refused or failed one is not.
          if (call.cancelled) ending ??= "aborted";
          // Tidying up never stands between the caller and its answer.
          await (ending === "aborted" ? upload?.keepAsPartial() : upload?.abort())?.catch((cleanup: unknown) => log.warn({ err: String(cleanup) }, "a cut upload could not be tidied up"));
          const code = WharfError.from(error).code;
          if (call.cancelled) ending ??= "aborted";
          metrics.commits.inc({ outcome: ending ?? (code === "WHARF_QUOTA_EXCEEDED" ? "quota_exceeded" : "failed") });
          log.info(
            {
              uploadId: upload?.header.uploadId,
              received: upload?.bytes,
              reason: WharfError.from(error).message,
            },
            "upload not committed",
          );
          logUnexpected(log, error);
          if (!call.cancelled) call.emit("error", toGrpcStatus(error));
        },
      );
  };
}
