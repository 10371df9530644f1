import type { Command } from "./command.js";

/** OPTS UTF8 ON (RFC 2640): paths are always UTF-8 here, so turning it on is a no-op. */
export const opts: Command = {
  verb: "OPTS",
  beforeLogin: true,
  syntax: "OPTS <sp> UTF8 ON",
  run(session, argument) {
    const [option, value = ""] = argument.trim().toUpperCase().split(/\s+/);
    if (option === "UTF8" && (value === "ON" || value === "")) return session.reply(200, "Always in UTF8 mode.");
    if (option === "UTF8" && value === "OFF") return session.reply(504, "UTF8 cannot be turned off.");
    // Every fact is always sent; clients that select facts get all of them, which RFC 3659 §7.9 allows to be refused politely.
    if (option === "MLST") return session.reply(200, "MLST OPTS type;size;modify;perm;");
    // HASH offers SHA-256 only: asking for it (or which one is selected) is fine, anything else 504.
    if (option === "HASH") return value === "" || value === "SHA-256" ? session.reply(200, "SHA-256") : session.reply(504, "Only SHA-256 is offered.");
    session.reply(501, "Option not understood.");
  },
};
