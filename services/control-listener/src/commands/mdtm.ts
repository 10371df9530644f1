import { storage } from "@wharf/contracts";
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
    const entry = await session.deps.storage.stat(session.location(argument));
    if (entry.type !== storage.EntryType.ENTRY_TYPE_FILE) return session.reply(550, "Could not get file modification time.");
    session.reply(213, timeVal(entry.mtimeMs));
  },
};
