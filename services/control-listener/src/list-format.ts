import { storage } from "@wharf/contracts";

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const SIX_MONTHS_MS = 182 * 24 * 3600 * 1000;

/**
 * A name as it may appear in a listing: a CR is sent as CR NUL (RFC 2640 §3.1),
 * and a name with a line feed is left out, so a listing line can never be split.
 */
export function listingName(name: string): string | undefined {
  if (name.includes("\n")) return undefined;
  return name.replaceAll("\r", "\r\0");
}

/**
 * One LIST line in the `ls -l` shape every FTP client parses (vsftpd's format):
 * a time of day for entries from the last six months, the year otherwise (UTC).
 */
export function formatListLine(entry: storage.Entry, now: number): string | undefined {
  const name = listingName(entry.name);
  if (name === undefined) return undefined;
  const directory = entry.type === storage.EntryType.ENTRY_TYPE_DIRECTORY;
  const mode = directory ? "drwxr-xr-x" : "-rw-r--r--";
  const date = new Date(entry.mtimeMs);
  const month = MONTHS[date.getUTCMonth()];
  const day = String(date.getUTCDate()).padStart(2, " ");
  const recent = Math.abs(now - entry.mtimeMs) < SIX_MONTHS_MS;
  const timeOrYear = recent
    ? `${String(date.getUTCHours()).padStart(2, "0")}:${String(date.getUTCMinutes()).padStart(2, "0")}`
    : ` ${date.getUTCFullYear()}`;
  const size = String(entry.size).padStart(12, " ");
  return `${mode}    1 ftp      ftp      ${size} ${month} ${day} ${timeOrYear} ${name}`;
}

/**
 * One RFC 3659 fact line: "type=…;size=…;modify=…;perm=…; name". Permissions
 * are what the server allows on the entry (per-user permissions narrow them later).
 */
export function formatFacts(entry: storage.Entry, name: string): string | undefined {
  const shown = listingName(name);
  if (shown === undefined) return undefined;
  const modify = new Date(entry.mtimeMs).toISOString().replace(/[-:T]/g, "").slice(0, 14);
  const facts =
    entry.type === storage.EntryType.ENTRY_TYPE_DIRECTORY
      ? `type=dir;modify=${modify};perm=cdeflmp;`
      : `type=file;size=${entry.size};modify=${modify};perm=adfrw;`;
  return `${facts} ${shown}`;
}
