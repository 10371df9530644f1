import type { Command } from "./command.js";

/**
 * ABOR. A transfer in progress is cut out of band the moment ABOR arrives (the
 * session does that while its mailbox is busy); the transfer answers 426, and
 * this, handled next in order, answers 226. With nothing running it is just 226.
 */
export const abor: Command = {
  verb: "ABOR",
  syntax: "ABOR",
  run: (session) => session.reply(226, "ABOR successful."),
};
