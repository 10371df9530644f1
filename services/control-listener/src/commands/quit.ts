import type { Command } from "./command.js";

export const quit: Command = {
  verb: "QUIT",
  beforeLogin: true,
  syntax: "QUIT",
  run: (session) => session.closeWith(221, "Goodbye.", "quit"),
};
