import { storage } from "@wharf/contracts";
import type { Command } from "./command.js";

/** SIZE (RFC 3659 §4): the size of a file in bytes; 550 for a folder or a missing file. */
export const size: Command = {
  verb: "SIZE",
  syntax: "SIZE <sp> path",
  async run(session, argument) {
    if (!argument) return session.reply(501, "SIZE needs a file name.");
    const entry = await session.deps.storage.stat(session.location(argument));
    if (entry.type !== storage.EntryType.ENTRY_TYPE_FILE) return session.reply(550, "Could not get file size.");
    session.reply(213, String(entry.size));
  },
};
