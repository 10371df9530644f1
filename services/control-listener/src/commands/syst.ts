import type { Command } from "./command.js";

/** SYST: the answer every client expects from a Unix-style listing server. */
export const syst: Command = {
  verb: "SYST",
  beforeLogin: true,
  syntax: "SYST",
  run: (session) => session.reply(215, "UNIX Type: L8"),
};
