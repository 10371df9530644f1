import { randomBytes } from "node:crypto";
import { posix } from "node:path";
import { refuseClearData } from "../transfer.js";
import type { Command } from "./command.js";
import { receiveFile } from "./stor.js";

/**
 * STOU: stores under a name the server chooses, unique in the current folder,
 * and tells it in the 150 reply as "FILE: name" (RFC 1123 §4.1.2.9).
 */
export const stou: Command = {
  verb: "STOU",
  syntax: "STOU",
  async run(session) {
    if (refuseClearData(session)) return;
    for (let attempt = 0; attempt < 5; attempt++) {
      const name = `wharf-${Date.now().toString(36)}-${randomBytes(6).toString("hex")}`;
      const location = session.location(posix.join(session.cwd, name), "write");
      const taken = await session.storage.stat(location).then(
        () => true,
        () => false,
      );
      if (!taken) return receiveFile(session, location, `FILE: ${name}`);
    }
    session.reply(450, "Could not find a unique name; try again.");
  },
};
