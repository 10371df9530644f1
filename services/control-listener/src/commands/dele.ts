import type { Command } from "./command.js";

export const dele: Command = {
  verb: "DELE",
  syntax: "DELE <sp> path",
  async run(session, argument) {
    if (!argument) return session.reply(501, "DELE needs a file name.");
    await session.storage.delete(session.location(argument, "delete"));
    session.reply(250, "Delete operation successful.");
  },
};
