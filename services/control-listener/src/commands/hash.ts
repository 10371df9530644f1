import { fileAt } from "./file-at.js";
import type { FtpSession } from "../session.js";
import type { Command } from "./command.js";

/** The file's checksum, or undefined after a 550 for a folder. */
async function checksumOf(session: FtpSession, argument: string) {
  const file = await fileAt(session, argument, "read", "Not a file.");
  return file && session.storage.checksum(file.location);
}

/**
 * HASH (draft-bryan-ftpext-hash): "213 SHA-256 0-size hex path", so a partner
 * can check an upload end to end. SHA-256 is the only algorithm offered.
 */
export const hash: Command = {
  verb: "HASH",
  syntax: "HASH <sp> path",
  async run(session, argument) {
    if (!argument) return session.reply(501, "HASH needs a file name.");
    const sum = await checksumOf(session, argument);
    if (sum) session.reply(213, `SHA-256 0-${sum.size} ${sum.sha256} ${argument}`);
  },
};

/** XSHA256: the older form some clients send; answers just the hex digest. */
export const xsha256: Command = {
  verb: "XSHA256",
  syntax: "XSHA256 <sp> path",
  async run(session, argument) {
    if (!argument) return session.reply(501, "XSHA256 needs a file name.");
    const sum = await checksumOf(session, argument);
    if (sum) session.reply(213, sum.sha256);
  },
};
