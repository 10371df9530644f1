import type { Command } from "./command.js";

/** RNFR: names the file or folder to rename; the very next command must be RNTO (RFC 959). */
export const rnfr: Command = {
  verb: "RNFR",
  syntax: "RNFR <sp> path",
  async run(session, argument) {
    if (!argument) return session.reply(501, "RNFR needs a name.");
    const location = session.location(argument, "rename");
    await session.deps.storage.stat(location);
    session.renameFrom = location.path;
    session.reply(350, "Ready for RNTO.");
  },
};
