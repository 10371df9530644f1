import type { Command } from "./command.js";

export const rmd: Command = {
  verb: "RMD",
  syntax: "RMD <sp> path",
  async run(session, argument) {
    if (!argument) return session.reply(501, "RMD needs a folder name.");
    await session.storage.rmdir(session.location(argument, "delete"));
    session.reply(250, "Remove directory operation successful.");
  },
};
