import { hasRulesWithin, WharfError } from "@wharf/contracts";
import type { Command } from "./command.js";

/**
 * RNTO: completes a rename started by the RNFR just before it; anything else
 * in between voids the RNFR (503). Renaming onto an existing entry replaces
 * it, so it also needs the overwrite permission there; a folder may not be
 * moved to where permission rules would then apply inside it.
 */
export const rnto: Command = {
  verb: "RNTO",
  syntax: "RNTO <sp> path",
  async run(session, argument) {
    const from = session.renameFrom;
    if (from === undefined) return session.reply(503, "RNFR required first.");
    if (!argument) return session.reply(501, "RNTO needs a name.");
    const to = session.location(argument, "rename");
    if (from.folder && hasRulesWithin(session.user?.permissions ?? [], to.path)) return session.reply(550, "Permission denied.");
    // Without overwrite, storage refuses a taken name (atomically for a file): 550, nothing moved.
    const noOverwrite = !session.may(to.path, "overwrite");
    try {
      await session.storage.rename({ root: to.root, path: from.path }, to.path, { noOverwrite });
    } catch (error) {
      if (noOverwrite && error instanceof WharfError && error.code === "WHARF_ALREADY_EXISTS") return session.reply(550, "Permission denied.");
      throw error;
    }
    session.reply(250, "Rename successful.");
  },
};
