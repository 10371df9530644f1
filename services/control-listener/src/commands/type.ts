import type { Command } from "./command.js";

/**
 * TYPE A (with the optional N format) or TYPE I (also L 8). In TYPE A, file
 * transfers convert line ends: LF on disk, CRLF on the wire; TYPE I moves bytes.
 */
export const type: Command = {
  verb: "TYPE",
  syntax: "TYPE <sp> A|I",
  run(session, argument) {
    const value = argument.trim().toUpperCase().replace(/\s+/g, " ");
    if (value === "A" || value === "A N") {
      session.type = "A";
      return session.reply(200, "Switching to ASCII mode.");
    }
    if (value === "I" || value === "L 8") {
      session.type = "I";
      return session.reply(200, "Switching to Binary mode.");
    }
    if (!value) return session.reply(501, "TYPE needs an argument.");
    session.reply(504, "Unsupported TYPE.");
  },
};
