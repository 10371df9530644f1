import { refuseClearData } from "../transfer.js";
import type { Command } from "./command.js";
import { receiveFile } from "./stor.js";

/** APPE: the uploaded bytes are added to the end of the file (made if missing), committed as a new version. */
export const appe: Command = {
  verb: "APPE",
  syntax: "APPE <sp> path",
  async run(session, argument) {
    if (!argument) return session.reply(501, "APPE needs a file name.");
    if (refuseClearData(session)) return;
    return receiveFile(session, session.location(argument, "write"), "Ok to send data.", { append: true });
  },
};
