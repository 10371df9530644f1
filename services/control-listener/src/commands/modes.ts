import type { Command } from "./command.js";

/** MODE: only stream mode (S), the one every client uses (RFC 959). */
export const mode: Command = {
  verb: "MODE",
  syntax: "MODE <sp> S",
  run: (session, argument) =>
    argument.trim().toUpperCase() === "S" ? session.reply(200, "Mode set to S.") : session.reply(504, "Only stream mode (S) is supported."),
};

/** STRU: only file structure (F) (RFC 959). */
export const stru: Command = {
  verb: "STRU",
  syntax: "STRU <sp> F",
  run: (session, argument) =>
    argument.trim().toUpperCase() === "F" ? session.reply(200, "Structure set to F.") : session.reply(504, "Only file structure (F) is supported."),
};

/** ALLO: nothing needs reserving ahead of an upload (202, RFC 959). */
export const allo: Command = {
  verb: "ALLO",
  syntax: "ALLO <sp> size",
  run: (session) => session.reply(202, "No storage allocation necessary."),
};

/**
 * Commands that exist but are not offered here, answered 502 rather than 500:
 * REIN would have to tear TLS down (RFC 4217 §13), CCC would drop control
 * encryption (refused on purpose), ACCT and SMNT have no meaning in Wharf.
 */
export const notOffered: Command[] = ["REIN", "CCC", "ACCT", "SMNT"].map((verb) => ({
  verb,
  syntax: verb,
  beforeLogin: true,
  run: (session) => session.reply(502, `${verb} is not implemented.`),
}));
