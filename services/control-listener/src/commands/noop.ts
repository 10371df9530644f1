import type { Command } from "./command.js";

export const noop: Command = {
  verb: "NOOP",
  beforeLogin: true,
  syntax: "NOOP",
  run: (session) => session.reply(200, "NOOP ok."),
};
