import { storage, type StorageLocation } from "@wharf/contracts";
import { formatFacts, formatListLine, listingName } from "../list-format.js";
import type { FtpSession } from "../session.js";
import { refuseClearData, sendToClient } from "../transfer.js";
import type { Command } from "./command.js";
import { countTransfer } from "../metrics.js";

type Style = "long" | "names" | "facts";

/** The path of a LIST/NLST argument, without the `ls` options (-l, -a, -la) clients like to add. */
function listedPath(argument: string): string {
  const words = argument.split(" ");
  while (words[0]?.startsWith("-")) words.shift();
  return words.join(" ");
}

async function* lines(session: FtpSession, location: StorageLocation, entry: storage.Entry, style: Style): AsyncGenerator<Buffer> {
  const render = (item: storage.Entry) =>
    style === "long" ? formatListLine(item, Date.now()) : style === "facts" ? formatFacts(item, item.name) : listingName(item.name);
  if (entry.type !== storage.EntryType.ENTRY_TYPE_DIRECTORY) {
    const line = render({ ...entry, name: entry.name });
    if (line !== undefined) yield Buffer.from(`${line}\r\n`);
    return;
  }
  for await (const page of session.storage.list(location)) {
    const text = page.map(render).filter((line) => line !== undefined).map((line) => `${line}\r\n`).join("");
    if (text) yield Buffer.from(text);
  }
}

async function listing(session: FtpSession, argument: string, style: Style): Promise<void> {
  if (refuseClearData(session)) return;
  const location = session.location(listedPath(argument) || ".", "list");
  const entry = await session.storage.stat(location);
  // RFC 3659 §7.2.1: MLSD lists folders only.
  if (style === "facts" && entry.type !== storage.EntryType.ENTRY_TYPE_DIRECTORY) return session.reply(501, "MLSD needs a folder.");
  const data = await session.openDataConnection("Here comes the directory listing.");
  if (!data) return;
  const startedAt = performance.now();
  try {
    await sendToClient(data.socket, lines(session, location, entry, style));
    countTransfer(session.deps.metrics, { port: session.portAlias, direction: "listing", outcome: "ok", startedAt });
    session.reply(226, "Directory send OK.");
  } catch (error) {
    data.socket.destroy();
    countTransfer(session.deps.metrics, { port: session.portAlias, direction: "listing", outcome: "failed", startedAt });
    throw error;
  }
}

/** LIST: `ls -l` lines. */
export const list: Command = {
  verb: "LIST",
  syntax: "LIST [<sp> path]",
  run: (session, argument) => listing(session, argument, "long"),
};

/** MLSD (RFC 3659 §7): machine-readable facts, one line per entry of a folder. */
export const mlsd: Command = {
  verb: "MLSD",
  syntax: "MLSD [<sp> path]",
  run: (session, argument) => listing(session, argument, "facts"),
};

/** MLST (RFC 3659 §7): the facts of one entry, on the control connection. */
export const mlst: Command = {
  verb: "MLST",
  syntax: "MLST [<sp> path]",
  async run(session, argument) {
    const location = session.location(argument || ".", "list");
    const entry = await session.storage.stat(location);
    const line = formatFacts(entry, location.path);
    if (line === undefined) return session.reply(550, "Name cannot be shown.");
    session.reply(250, [`Listing ${location.path}`, line, "End."]);
  },
};

/** NLST: names only. */
export const nlst: Command = {
  verb: "NLST",
  syntax: "NLST [<sp> path]",
  run: (session, argument) => listing(session, argument, "names"),
};
