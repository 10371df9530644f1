import { storage } from "@wharf/contracts";
import type { FtpSession } from "../session.js";
import type { Command } from "./command.js";

/** Changes the session's folder after storage confirmed it is a folder. */
export async function changeFolder(session: FtpSession, argument: string): Promise<void> {
  const location = session.location(argument || "/", "list");
  const entry = await session.storage.stat(location);
  if (entry.type !== storage.EntryType.ENTRY_TYPE_DIRECTORY) return session.reply(550, "Not a folder.");
  session.cwd = location.path;
  session.reply(250, "Directory successfully changed.");
}

export const cwd: Command = {
  verb: "CWD",
  syntax: "CWD <sp> path",
  run: (session, argument) => changeFolder(session, argument),
};
