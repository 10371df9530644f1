import { storage, type StorageLocation } from "@wharf/contracts";
import { formatListLine, listingName } from "../list-format.js";
import type { FtpSession } from "../session.js";
import { refuseClearData, sendToClient } from "../transfer.js";
import type { Command } from "./command.js";

type Style = "long" | "names";

/** The path of a LIST/NLST argument, without the `ls` options (-l, -a, -la) clients like to add. */
function listedPath(argument: string): string {
  const words = argument.split(" ");
  while (words[0]?.startsWith("-")) words.shift();
  return words.join(" ");
}

async function* lines(session: FtpSession, location: StorageLocation, entry: storage.Entry, style: Style): AsyncGenerator<Buffer> {
  const render = (item: storage.Entry) => (style === "long" ? formatListLine(item, Date.now()) : listingName(item.name));
  if (entry.type !== storage.EntryType.ENTRY_TYPE_DIRECTORY) {
    const line = render({ ...entry, name: entry.name });
    if (line !== undefined) yield Buffer.from(`${line}\r\n`);
    return;
  }
  for await (const page of session.deps.storage.list(location)) {
    const text = page.map(render).filter((line) => line !== undefined).map((line) => `${line}\r\n`).join("");
    if (text) yield Buffer.from(text);
  }
}

async function listing(session: FtpSession, argument: string, style: Style): Promise<void> {
  if (refuseClearData(session)) return;
  const location = session.location(listedPath(argument) || ".");
  const entry = await session.deps.storage.stat(location);
  const data = await session.openDataConnection("Here comes the directory listing.");
  if (!data) return;
  try {
    await sendToClient(data.socket, lines(session, location, entry, style));
    session.deps.metrics.transfers.inc({ port: session.portAlias, direction: "listing", outcome: "ok" });
    session.reply(226, "Directory send OK.");
  } catch (error) {
    data.socket.destroy();
    session.deps.metrics.transfers.inc({ port: session.portAlias, direction: "listing", outcome: "failed" });
    throw error;
  }
}

/** LIST: `ls -l` lines. */
export const list: Command = {
  verb: "LIST",
  syntax: "LIST [<sp> path]",
  run: (session, argument) => listing(session, argument, "long"),
};

/** NLST: names only. */
export const nlst: Command = {
  verb: "NLST",
  syntax: "NLST [<sp> path]",
  run: (session, argument) => listing(session, argument, "names"),
};
