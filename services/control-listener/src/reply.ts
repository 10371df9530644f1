/**
 * Formats an FTP reply. Several lines become a multi-line reply
 * ("211-first", " middle", "211 last") as RFC 959 §4.2 describes; a CR or LF
 * inside a text is never sent raw, so a file name cannot inject a reply.
 */
export function formatReply(code: number, text: string | readonly string[]): string {
  const lines = (typeof text === "string" ? [text] : [...text]).map((line) => line.replace(/[\r\n]/g, " "));
  if (lines.length <= 1) return `${code} ${lines[0] ?? ""}\r\n`;
  const last = lines.pop() as string;
  const [first, ...middle] = lines;
  return [`${code}-${first}`, ...middle.map((line) => ` ${line}`), `${code} ${last}`, ""].join("\r\n");
}

/** Quotes a path for a 257 reply: the path between double quotes, inner quotes doubled (RFC 959 appendix II). */
export function quotePath(path: string): string {
  return `"${path.replaceAll('"', '""')}"`;
}
