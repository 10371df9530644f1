import { quotePath } from "../reply.js";
import type { Command } from "./command.js";

export const pwd: Command = {
  verb: "PWD",
  syntax: "PWD",
  run: (session) => session.reply(257, `${quotePath(session.cwd)} is the current directory.`),
};
