import { once } from "node:events";
import { connect, type Socket } from "node:net";
import { connect as tlsConnect, type TLSSocket } from "node:tls";

export interface FtpReply {
  code: number;
  /** All lines of the reply, joined with "\n". */
  text: string;
}

/**
 * A raw FTP control connection for tests that must send exact bytes (split
 * commands, over-long lines, plaintext after AUTH) and read exact replies.
 * Real clients (curl, ftplib, basic-ftp) cover the ordinary paths.
 */
export class RawFtpControl {
  private buffer = "";
  private replies: FtpReply[] = [];
  private waiters: Array<(reply: FtpReply | undefined) => void> = [];
  private ended = false;
  /** The control connection's latest TLS session (ticket), for data connections that must resume it. */
  tlsSession: Buffer | undefined;

  private constructor(public socket: Socket | TLSSocket) {
    this.listen(socket);
  }

  static async connect(port: number, { host = "127.0.0.1", localAddress }: { host?: string; localAddress?: string } = {}): Promise<RawFtpControl> {
    const socket = connect({ port, host, localAddress });
    await once(socket, "connect");
    return new RawFtpControl(socket);
  }

  private listen(socket: Socket): void {
    socket.setEncoding("utf8");
    socket.on("data", (text: string) => {
      this.buffer += text;
      this.parse();
    });
    socket.on("error", () => undefined);
    socket.once("close", () => {
      this.ended = true;
      for (const waiter of this.waiters.splice(0)) waiter(undefined);
    });
  }

  private parse(): void {
    for (;;) {
      const lines = this.buffer.split("\r\n");
      if (lines.length < 2) return;
      const first = lines[0] ?? "";
      const code = first.slice(0, 3);
      let end = 0;
      if (first[3] === "-") {
        end = lines.findIndex((line, index) => index > 0 && line.startsWith(`${code} `));
        if (end === -1 || end === lines.length - 1) return;
      }
      const reply = { code: Number(code), text: lines.slice(0, end + 1).join("\n") };
      this.buffer = lines.slice(end + 1).join("\r\n");
      const waiter = this.waiters.shift();
      if (waiter) waiter(reply);
      else this.replies.push(reply);
    }
  }

  /** The next reply; rejects when the connection closes first or the time is up. */
  read(timeoutMs = 10_000): Promise<FtpReply> {
    const queued = this.replies.shift();
    if (queued) return Promise.resolve(queued);
    if (this.ended) return Promise.reject(new Error("connection closed"));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error("no reply in time"));
      }, timeoutMs);
      const waiter = (reply: FtpReply | undefined) => {
        clearTimeout(timer);
        if (reply) resolve(reply);
        else reject(new Error("connection closed"));
      };
      this.waiters.push(waiter);
    });
  }

  send(data: string | Buffer): void {
    this.socket.write(data);
  }

  async command(line: string): Promise<FtpReply> {
    this.send(`${line}\r\n`);
    return this.read();
  }

  /**
   * Sends each line in turn and answers "LINE -> CODE" for each, so a test can
   * compare a whole exchange with one assert.deepEqual (and see every wrong code at once).
   */
  async codes(...lines: string[]): Promise<string[]> {
    const seen: string[] = [];
    for (const line of lines) seen.push(`${line} -> ${(await this.command(line)).code}`);
    return seen;
  }

  /** Sends AUTH TLS, expects 234, and switches this connection to TLS (certificate not verified). */
  async startTls(): Promise<void> {
    const reply = await this.command("AUTH TLS");
    if (reply.code !== 234) throw new Error(`AUTH TLS answered ${reply.code}`);
    const plain = this.socket;
    plain.removeAllListeners("data");
    const secure = tlsConnect({ socket: plain, rejectUnauthorized: false });
    secure.on("session", (session: Buffer) => {
      this.tlsSession = session;
    });
    await once(secure, "secureConnect");
    this.socket = secure;
    this.listen(secure);
  }

  /** Logs in over TLS with PBSZ 0 and PROT P, checking every reply. */
  async login(user: string, password: string): Promise<void> {
    await this.startTls();
    for (const [line, want] of [[`USER ${user}`, 331], [`PASS ${password}`, 230], ["PBSZ 0", 200], ["PROT P", 200]] as const) {
      const reply = await this.command(line);
      if (reply.code !== want) throw new Error(`${line.split(" ")[0]} answered ${reply.code} ${reply.text}`);
    }
  }

  /** Resolves when the server has closed the connection. */
  async closed(timeoutMs = 10_000): Promise<void> {
    if (this.ended) return;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        once(this.socket, "close"),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error("connection still open")), timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  get isClosed(): boolean {
    return this.ended;
  }

  close(): void {
    this.socket.destroy();
  }
}

/**
 * Opens TLS on a data connection the way a well-behaved client does: resuming
 * the control connection's session (servers that require session reuse refuse
 * anything else). Pass `fresh` to connect without it.
 */
export async function dataTls(raw: Socket, control: RawFtpControl, { fresh = false } = {}): Promise<TLSSocket> {
  const secure = tlsConnect({ socket: raw, rejectUnauthorized: false, ...(fresh ? {} : { session: control.tlsSession }) });
  secure.on("error", () => undefined);
  await once(secure, "secureConnect");
  return secure;
}

/** The port of a 227 (PASV) or 229 (EPSV) reply. */
export function passivePort(reply: FtpReply): number {
  const epsv = /\(\|\|\|(\d+)\|\)/.exec(reply.text);
  if (epsv) return Number(epsv[1]);
  const pasv = /\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)/.exec(reply.text);
  if (pasv) return Number(pasv[5]) * 256 + Number(pasv[6]);
  throw new Error(`not a passive reply: ${reply.text}`);
}
