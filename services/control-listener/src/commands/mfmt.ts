import { fileAt } from "./file-at.js";
import type { Command } from "./command.js";
import { timeVal } from "./mdtm.js";

const TIME_VAL = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.(\d{1,3}))?$/;

/** Parses an RFC 3659 time-val (UTC); undefined when it is not a real date and time. */
export function parseTimeVal(text: string): number | undefined {
  const match = TIME_VAL.exec(text);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(year, month - 1, day, hour, minute, second, Number((match[7] ?? "0").padEnd(3, "0")));
  const check = new Date(ms);
  if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) return undefined;
  return ms;
}

/** MFMT (draft-somers-ftp-mfxx): sets a file's modification time, as clients that keep timestamps (FileZilla, WinSCP) do. */
export const mfmt: Command = {
  verb: "MFMT",
  syntax: "MFMT <sp> YYYYMMDDHHMMSS <sp> path",
  async run(session, argument) {
    const space = argument.indexOf(" ");
    const ms = space > 0 ? parseTimeVal(argument.slice(0, space)) : undefined;
    const path = space > 0 ? argument.slice(space + 1) : "";
    if (ms === undefined || !path) return session.reply(501, "MFMT needs YYYYMMDDHHMMSS and a file name.");
    const file = await fileAt(session, path, "overwrite", "Not a file.");
    if (!file) return;
    await session.storage.setModifiedTime(file.location, ms);
    session.reply(213, `Modify=${timeVal(ms)}; ${path}`);
  },
};
