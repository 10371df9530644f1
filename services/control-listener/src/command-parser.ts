export interface ParsedCommand {
  /** The verb, upper-cased ("STOR"). */
  verb: string;
  /** Everything after the single space that follows the verb, byte-exact (names may have spaces). */
  argument: string;
}

const decoder = new TextDecoder("utf-8", { fatal: true });
const TELNET_IAC = 0xff;
const TELNET_SB = 0xfa;
const TELNET_SE = 0xf0;

/**
 * Decodes one command line. Telnet IAC sequences (e.g. IAC IP IAC DM that some
 * clients send before ABOR) are removed; a line that is not valid UTF-8
 * (RFC 2640 makes UTF-8 the path encoding) yields undefined.
 */
export function parseCommand(line: Buffer): ParsedCommand | undefined {
  const clean = stripTelnet(line);
  let text: string;
  try {
    text = decoder.decode(clean);
  } catch {
    return undefined;
  }
  const space = text.indexOf(" ");
  const verb = (space === -1 ? text : text.slice(0, space)).toUpperCase();
  const argument = space === -1 ? "" : text.slice(space + 1);
  return { verb, argument };
}

function stripTelnet(line: Buffer): Buffer {
  if (!line.includes(TELNET_IAC)) return line;
  const out: number[] = [];
  for (let i = 0; i < line.length; i++) {
    const byte = line[i] as number;
    if (byte !== TELNET_IAC) {
      out.push(byte);
    } else if (line[i + 1] === TELNET_IAC) {
      out.push(TELNET_IAC);
      i++;
    } else if (line[i + 1] === TELNET_SB) {
      // A subnegotiation: everything up to IAC SE belongs to Telnet, not to the command.
      const end = line.indexOf(Buffer.from([TELNET_IAC, TELNET_SE]), i + 2);
      i = end === -1 ? line.length : end + 1;
    } else {
      // IAC + command (WILL/WONT/DO/DONT take one more option byte).
      const command = line[i + 1] ?? 0;
      i += command >= 251 && command <= 254 ? 2 : 1;
    }
  }
  return Buffer.from(out);
}
