import { fileAt } from "./file-at.js";
import type { Command } from "./command.js";

/**
 * SIZE (RFC 3659 §4): the size of a file in bytes; 550 for a folder or a
 * missing file. While storage keeps a cut upload of the name for a resume,
 * SIZE answers how much of it arrived: resuming clients (curl -C -, lftp
 * put -c) ask SIZE and send REST with the answer. The file itself (RETR,
 * listings) stays the last complete version.
 */
export const size: Command = {
  verb: "SIZE",
  syntax: "SIZE <sp> path",
  async run(session, argument) {
    if (!argument) return session.reply(501, "SIZE needs a file name.");
    const file = await fileAt(session, argument, "list", "Could not get file size.", { preferPartial: true });
    if (file) session.reply(213, String(file.entry.size));
  },
};
