import { connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import type { Target } from "./peers.js";
import { manyDownloads, residentMiB } from "./workloads.js";

/** One logged-in TLS control connection kept open and silent (what a partner's idle client holds). */
async function idleSession(target: Target): Promise<Socket> {
  const raw = netConnect({ host: "127.0.0.1", port: target.port });
  raw.setTimeout(60_000, () => raw.destroy(new Error("no answer in 60 s")));
  const replies = (socket: Socket) => {
    let buffered = "";
    const waiting: Array<(line: string) => void> = [];
    socket.on("data", (chunk: Buffer) => {
      buffered += chunk.toString("latin1");
      for (let end = buffered.indexOf("\r\n"); end >= 0; end = buffered.indexOf("\r\n")) {
        const line = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        if (/^\d{3} /.test(line)) waiting.shift()?.(line);
      }
    });
    return () => new Promise<string>((resolve, reject) => {
      waiting.push(resolve);
      socket.once("error", reject);
    });
  };
  const plain = replies(raw);
  const expect = async (next: Promise<string>, code: string) => {
    const line = await next;
    if (!line.startsWith(code)) throw new Error(`expected ${code}, got ${line}`);
  };
  await expect(plain(), "220");
  const authed = plain();
  raw.write("AUTH TLS\r\n");
  await expect(authed, "234");
  raw.removeAllListeners("data");
  const secure = tlsConnect({ socket: raw, rejectUnauthorized: false });
  const read = replies(secure);
  const user = read();
  secure.write(`USER ${target.user}\r\n`);
  await expect(user, "331");
  const pass = read();
  secure.write(`PASS ${target.password}\r\n`);
  await expect(pass, "230");
  raw.setTimeout(0);
  secure.on("error", () => undefined);
  return secure;
}

/**
 * `idle` logged-in TLS sessions held open (opened 64 at a time), then `active` sessions downloading 1 MiB
 * each while the idle ones stay: how many idle ones opened, the memory each costs the server (its processes'
 * RSS before and after, divided), and the active ones' MB/s and errors. Bounded by `maxSeconds` for the opening.
 */
export async function idleSessions(target: Target, idle: number, active: number, maxSeconds: number) {
  const before = residentMiB(target);
  const sockets: Socket[] = [];
  let failures = 0;
  const deadline = Date.now() + maxSeconds * 1000;
  for (let opened = 0; opened < idle && Date.now() < deadline; opened += 64) {
    const batch = await Promise.allSettled(Array.from({ length: Math.min(64, idle - opened) }, () => idleSession(target)));
    for (const result of batch) {
      if (result.status === "fulfilled") sockets.push(result.value);
      else failures++;
    }
  }
  // Let the server settle (garbage collection of the logins' transient objects) before reading its memory.
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const after = residentMiB(target);
  const downloads = await manyDownloads(target, active, maxSeconds);
  const stillOpen = sockets.filter((socket) => !socket.destroyed).length;
  for (const socket of sockets) socket.destroy();
  return { opened: sockets.length, failures, stillOpen, mibPerSession: sockets.length > 0 ? (after - before) / sockets.length : 0, active: downloads };
}
