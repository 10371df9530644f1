import { hasRulesWithin, storage } from "@wharf/contracts";
import type { Command } from "./command.js";

/**
 * RNFR: names the file or folder to rename; the very next command must be
 * RNTO (RFC 959). A folder with permission rules at or below it cannot be
 * moved: its contents would leave their rules behind.
 */
export const rnfr: Command = {
  verb: "RNFR",
  syntax: "RNFR <sp> path",
  async run(session, argument) {
    if (!argument) return session.reply(501, "RNFR needs a name.");
    const location = session.location(argument, "rename");
    const entry = await session.storage.stat(location);
    const folder = entry.type === storage.EntryType.ENTRY_TYPE_DIRECTORY;
    if (folder && hasRulesWithin(session.user?.permissions ?? [], location.path)) return session.reply(550, "Permission denied.");
    session.renameFrom = { path: location.path, folder };
    session.reply(350, "Ready for RNTO.");
  },
};
