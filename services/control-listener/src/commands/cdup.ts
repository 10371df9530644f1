import type { Command } from "./command.js";
import { changeFolder } from "./cwd.js";

export const cdup: Command = {
  verb: "CDUP",
  syntax: "CDUP",
  run: (session) => changeFolder(session, ".."),
};
