import { fileAt } from "./file-at.js";
import type { Command } from "./command.js";

/** The RFC 3659 time-val: YYYYMMDDHHMMSS in UTC. */
export function timeVal(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:T]/g, "").slice(0, 14);
}

/** MDTM (RFC 3659 §3): a file's modification time; 550 for a folder or a missing file. */
export const mdtm: Command = {
  verb: "MDTM",
  syntax: "MDTM <sp> path",
  async run(session, argument) {
    if (!argument) return session.reply(501, "MDTM needs a file name.");
    const file = await fileAt(session, argument, "list", "Could not get file modification time.");
    if (file) session.reply(213, timeVal(file.entry.mtimeMs));
  },
};
