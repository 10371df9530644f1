import { type Permission, storage, type StorageLocation } from "@wharf/contracts";
import type { FtpSession } from "../session.js";

/**
 * Stats the file an argument names (after checking the user may `need` there). A folder gets 550 with the command's own
 * text and undefined back; a missing entry throws (550 through the reply codes).
 */
export async function fileAt(session: FtpSession, argument: string, need: Permission, refusal: string, options?: { preferPartial?: boolean }): Promise<{ location: StorageLocation; entry: storage.Entry } | undefined> {
  const location = session.location(argument, need);
  const entry = await session.storage.stat(location, options);
  if (entry.type === storage.EntryType.ENTRY_TYPE_FILE) return { location, entry };
  session.reply(550, refusal);
  return undefined;
}
