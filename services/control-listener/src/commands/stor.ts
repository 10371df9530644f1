import { randomUUID } from "node:crypto";
import { type StorageLocation, WharfError } from "@wharf/contracts";
import type { StreamEnd } from "../upload-tls.js";
import { createAsciiDecoder } from "../ascii.js";
import { createPacer } from "../pacer.js";
import { receiveUpload, refuseClearData } from "../transfer.js";
import type { FtpSession } from "../session.js";
import type { Command } from "./command.js";
import { countTransfer } from "../metrics.js";

/** How long a FIN-ended upload waits to see whether the control connection goes away with it. */
const FIN_SETTLE_MS = 100;

/**
 * Whether an upload that ended this way is complete. A reset is never complete.
 * Over TLS, close_notify is the proof of a complete stream; a bare FIN counts
 * only on a lenient port, because common clients (curl 7.x) end uploads with
 * one (vsftpd's strict_ssl_read_eof is the strict choice).
 */
export function uploadComplete(end: StreamEnd, tls: boolean, policy: "lenient" | "strict"): boolean {
  if (end === "close_notify") return true;
  if (end !== "fin") return false;
  return !tls || policy === "lenient";
}

/**
 * Receives one file from the data connection into `location`: refuses a missing
 * folder (553), a folder name (550) or a bad resume offset (554) before any data, then streams the bytes
 * into storage and answers 226 only after the commit and its acknowledged event.
 */
export async function receiveFile(
  session: FtpSession,
  location: StorageLocation,
  preliminary: string,
  { offset = 0, append = false }: { offset?: number; append?: boolean } = {},
): Promise<void> {
  const upload = session.storage.openUpload({
    location,
    uploadId: randomUUID(),
    user: session.user?.name ?? "",
    sessionId: session.id,
    portAlias: session.portAlias,
    offset,
    append,
    // Without the overwrite permission a user may add files but not replace them (550 from storage).
    noOverwrite: !session.may(location.path, "overwrite"),
    quotaBytes: session.user?.quotaBytes ?? 0,
    quotaFiles: session.user?.quotaFiles ?? 0,
  });
  // Storage checks the target before the client may send anything (one round trip, overlapping the
  // client's connect and TLS handshake): a missing folder is 553 (as vsftpd), a folder name 550, and
  // REST beyond the end of the file 554, because resuming there would leave a hole (RFC 3659 §5; pyftpdlib's code).
  const data = await session.openDataConnection(preliminary, "upload", {
    refusal: upload.ready.then(
      () => undefined,
      (error: unknown) => WharfError.from(error),
    ),
    refuse: (refusal) => {
      if (refusal.code === "WHARF_NOT_FOUND" || refusal.code === "WHARF_NOT_A_DIRECTORY") session.reply(553, "Could not create file.");
      else if (refusal.code === "WHARF_IS_A_DIRECTORY") session.reply(550, "Is a folder.");
      else if (refusal.code === "WHARF_INVALID_ARGUMENT") session.reply(554, "Requested action not taken: invalid REST offset.");
      else if (refusal.code === "WHARF_QUOTA_EXCEEDED") session.reply(552, "Exceeded storage allocation (quota): no room for another file.");
      else if (refusal.code === "WHARF_ALREADY_EXISTS") session.reply(550, "Permission denied: the file exists and may not be overwritten.");
      else session.replyError(refusal);
    },
  });
  if (!data) {
    upload.cancel();
    return;
  }
  const { metrics } = session.deps;
  const started = Date.now();
  const startedAt = performance.now();
  let bytes = 0;
  const pace = createPacer(session.user?.uploadBytesPerSecond ?? 0);
  try {
    // TYPE A: CRLF on the wire, LF on disk (RFC 959 §3.1.1.1).
    const ascii = session.type === "A" ? createAsciiDecoder() : undefined;
    const clean = await receiveUpload(data.socket, async (chunk) => {
      bytes += chunk.byteLength;
      await Promise.race([upload.write(ascii ? ascii.push(chunk) : chunk), upload.failed]);
      await pace?.(chunk.byteLength);
    });
    if (ascii && clean) await Promise.race([upload.write(ascii.end()), upload.failed]);
    let end = data.streamEnd(clean);
    // A bare FIN may be a finished upload or a killed client; a killed client's control connection ends too.
    if (end === "fin" && (await session.controlEndsWithin(FIN_SETTLE_MS))) end = "reset";
    // Our side of the close (a TLS close_notify): clients such as ftplib wait for it before reading the reply.
    data.socket.end();
    if (!uploadComplete(end, data.tls, session.settings.uploadEndPolicy) || session.isClosed) {
      throw new WharfError("WHARF_TRANSFER_ABORTED", `upload ended by ${session.isClosed ? "closing the control connection" : end}`);
    }
    const result = await upload.finish(end);
    countTransfer(metrics, { port: session.portAlias, direction: "upload", outcome: "ok", startedAt, bytes });
    session.log.info(
      { path: location.path, bytes, sha256: result.sha256, uploadId: result.uploadId, streamEnd: end, ms: Date.now() - started, direction: "upload" },
      "transfer complete",
    );
    session.reply(226, "Transfer complete.");
  } catch (error) {
    upload.cancel();
    data.socket.destroy();
    const aborted = WharfError.from(error).code === "WHARF_TRANSFER_ABORTED";
    countTransfer(metrics, { port: session.portAlias, direction: "upload", outcome: aborted ? "aborted" : "failed", startedAt });
    session.log.info({ path: location.path, bytes, err: String(error), direction: "upload" }, "upload not stored");
    throw error;
  }
}

/**
 * STOR: streams the client's bytes into storage. 226 is sent only after
 * storage committed the file (fsync + rename) and JetStream acknowledged its
 * file.stored event. A reset data connection, a closed control connection or
 * a storage error cancels the upload: the previous version stays, no event.
 */
export const stor: Command = {
  verb: "STOR",
  syntax: "STOR <sp> path",
  async run(session, argument) {
    if (!argument) return session.reply(501, "STOR needs a file name.");
    if (refuseClearData(session)) return;
    return receiveFile(session, session.location(argument, "write"), "Ok to send data.", { offset: session.restOffset });
  },
};
