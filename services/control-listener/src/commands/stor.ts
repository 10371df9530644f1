import { randomUUID } from "node:crypto";
import { posix } from "node:path";
import { storage, WharfError } from "@wharf/contracts";
import { receiveFromClient, refuseClearData } from "../transfer.js";
import type { Command } from "./command.js";

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
    const location = session.location(argument);
    // Refuse a missing folder or a folder name before the client sends anything (vsftpd answers 553 here).
    const parent = await session.deps.storage.stat({ ...location, path: posix.dirname(location.path) }).catch(() => undefined);
    if (parent?.type !== storage.EntryType.ENTRY_TYPE_DIRECTORY) return session.reply(553, "Could not create file.");
    const upload = session.deps.storage.openUpload({
      location,
      uploadId: randomUUID(),
      user: session.user?.name ?? "",
      sessionId: session.id,
      portAlias: session.portAlias,
    });
    const data = await session.openDataConnection("Ok to send data.");
    if (!data) {
      upload.cancel();
      return;
    }
    const { metrics } = session.deps;
    const started = Date.now();
    let bytes = 0;
    try {
      for await (const chunk of receiveFromClient(data.socket)) {
        bytes += chunk.byteLength;
        await Promise.race([upload.write(chunk), upload.failed]);
      }
      if (session.isClosed) throw new WharfError("WHARF_TRANSFER_ABORTED", "control connection closed");
      const result = await upload.finish(data.tls ? "tls_eof" : "fin");
      metrics.transfers.inc({ port: session.portAlias, direction: "upload", outcome: "ok" });
      metrics.transferBytes.inc({ port: session.portAlias, direction: "upload" }, bytes);
      session.log.info({ path: location.path, bytes, sha256: result.sha256, uploadId: result.uploadId, ms: Date.now() - started, direction: "upload" }, "transfer complete");
      session.reply(226, "Transfer complete.");
    } catch (error) {
      upload.cancel();
      data.socket.destroy();
      const aborted = WharfError.from(error).code === "WHARF_TRANSFER_ABORTED";
      metrics.transfers.inc({ port: session.portAlias, direction: "upload", outcome: aborted ? "aborted" : "failed" });
      session.log.info({ path: location.path, bytes, err: String(error), direction: "upload" }, "upload not stored");
      throw error;
    }
  },
};
