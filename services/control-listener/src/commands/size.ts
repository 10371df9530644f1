import { fileAt } from "./file-at.js";
import type { Command } from "./command.js";

/** SIZE (RFC 3659 §4): the size of a file in bytes; 550 for a folder or a missing file. */
export const size: Command = {
  verb: "SIZE",
  syntax: "SIZE <sp> path",
  async run(session, argument) {
    if (!argument) return session.reply(501, "SIZE needs a file name.");
    const file = await fileAt(session, argument, "list", "Could not get file size.");
    if (file) session.reply(213, String(file.entry.size));
  },
};
