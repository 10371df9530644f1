import { fileAt } from "./file-at.js";
import { toNetworkAscii } from "../ascii.js";
import { createPacer, paced } from "../pacer.js";
import { sendToClient, refuseClearData } from "../transfer.js";
import type { Command } from "./command.js";
import { countTransfer } from "../metrics.js";

/** RETR: streams a stored file to the client. */
export const retr: Command = {
  verb: "RETR",
  syntax: "RETR <sp> path",
  async run(session, argument) {
    if (!argument) return session.reply(501, "RETR needs a file name.");
    if (refuseClearData(session)) return;
    const file = await fileAt(session, argument, "read", "Failed to open file.");
    if (!file) return;
    const { location, entry } = file;
    const offset = session.restOffset;
    // A REST beyond the end is refused on the transfer command (RFC 3659 §5.3; pyftpdlib and pure-ftpd answer 554).
    if (offset > entry.size) return session.reply(554, "Requested action not taken: invalid REST offset.");
    const data = await session.openDataConnection(`Opening ${session.type === "I" ? "BINARY" : "ASCII"} mode data connection (${entry.size - offset} bytes).`);
    if (!data) return;
    const { metrics } = session.deps;
    const started = Date.now();
    const startedAt = performance.now();
    try {
      const source = paced(session.storage.read(location, offset), createPacer(session.user?.downloadBytesPerSecond ?? 0));
      const bytes = await sendToClient(data.socket, session.type === "A" ? toNetworkAscii(source) : source);
      countTransfer(metrics, { port: session.portAlias, direction: "download", outcome: "ok", startedAt, bytes });
      session.log.info({ path: location.path, bytes, ms: Date.now() - started, direction: "download" }, "transfer complete");
      session.reply(226, "Transfer complete.");
    } catch (error) {
      data.socket.destroy();
      countTransfer(metrics, { port: session.portAlias, direction: "download", outcome: "failed", startedAt });
      session.log.info({ path: location.path, err: String(error), direction: "download" }, "transfer failed");
      throw error;
    }
  },
};
