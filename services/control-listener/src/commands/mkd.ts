import { quotePath } from "../reply.js";
import type { Command } from "./command.js";

/** MKD: 257 with the new folder's path quoted (inner quotes doubled, RFC 959). */
export const mkd: Command = {
  verb: "MKD",
  syntax: "MKD <sp> path",
  async run(session, argument) {
    if (!argument) return session.reply(501, "MKD needs a folder name.");
    const location = session.location(argument, "mkdir");
    await session.storage.mkdir(location);
    session.reply(257, `${quotePath(location.path)} created.`);
  },
};
