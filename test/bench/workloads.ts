import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { promisify } from "node:util";
import { Client } from "basic-ftp";
import type { Target } from "./peers.js";

const run = promisify(execFile);

async function login(target: Target): Promise<Client> {
  const client = new Client(60_000);
  await client.access({ host: "127.0.0.1", port: target.port, user: target.user, password: target.password, secure: true, secureOptions: { rejectUnauthorized: false } });
  return client;
}

const seconds = (started: bigint) => Number(process.hrtime.bigint() - started) / 1e9;

/** One large file up and down with curl (explicit FTPS): MB/s each way. */
export async function largeFile(target: Target, file: string, megabytes: number) {
  const url = `ftp://127.0.0.1:${target.port}/large.bin`;
  // Bounded like every load loop: a transfer that takes over 10 minutes fails the row.
  const auth = ["--silent", "--show-error", "--max-time", "600", "--ssl-reqd", "--insecure", "-u", `${target.user}:${target.password}`];
  let started = process.hrtime.bigint();
  await run("curl", [...auth, "-T", file, url], { maxBuffer: 1024 });
  const up = megabytes / seconds(started);
  started = process.hrtime.bigint();
  await run("curl", [...auth, "-o", "/dev/null", url]);
  const down = megabytes / seconds(started);
  return { upMBps: up, downMBps: down };
}

/**
 * `count` uploads of 4 KiB over `sessions` sessions at once: files per second.
 * No new upload starts after `maxSeconds` (a slow server is measured on what it did by then).
 */
export async function smallFiles(target: Target, count: number, sessions: number, maxSeconds: number) {
  const payload = Buffer.alloc(4096, 7);
  const clients = await Promise.all(Array.from({ length: sessions }, () => login(target)));
  const started = process.hrtime.bigint();
  let done = 0;
  await Promise.all(
    clients.map(async (client, index) => {
      for (let i = index; i < count && seconds(started) < maxSeconds; i += sessions) {
        await client.uploadFrom(Readable.from([payload]), `small-${sessions}-${i}.bin`);
        done++;
      }
    }),
  );
  const rate = done / seconds(started);
  for (const client of clients) client.close();
  return rate;
}

/**
 * `count` TLS logins (connect, AUTH TLS, USER, PASS, QUIT), `concurrency` at a
 * time: logins per second and errors. No new login starts after `maxSeconds`.
 */
export async function logins(target: Target, count: number, concurrency: number, maxSeconds: number) {
  let next = 0;
  let errors = 0;
  let done = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count && seconds(started) < maxSeconds) {
        next++;
        try {
          const client = await login(target);
          client.close();
          done++;
        } catch {
          errors++;
        }
      }
    }),
  );
  return { rate: done / seconds(started), errors };
}

/** Resident memory (MiB) of the target's processes now. */
export function residentMiB(target: Target): number {
  return (
    target.pids().reduce((sum, pid) => {
      try {
        const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith("VmRSS:"));
        return sum + Number(line?.split(/\s+/)[1] ?? 0);
      } catch {
        return sum;
      }
    }, 0) / 1024
  );
}

/** Peak resident memory (MiB) of the target's processes, sampled while `work` runs. */
export async function peakMemory<T>(target: Target, work: () => Promise<T>): Promise<{ result: T; peakMiB: number }> {
  const rss = () => residentMiB(target);
  let peak = rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, rss());
  }, 100);
  try {
    return { result: await work(), peakMiB: Math.max(peak, rss()) };
  } finally {
    clearInterval(timer);
  }
}

/**
 * `sessions` sessions at once, each downloading a 1 MiB file: aggregate MB/s and
 * errors. A download not done after `maxSeconds` is closed and counted as an
 * error (basic-ftp's own timeout does not fire while it waits for a 226 that a
 * server holds back until the client's TLS shutdown, as vsftpd does).
 */
export async function manyDownloads(target: Target, sessions: number, maxSeconds: number) {
  const file = Buffer.alloc(1024 * 1024, 9);
  if (target.seed) await target.seed("one-mib.bin", file);
  else writeFileSync(join(target.root, "one-mib.bin"), file);
  let errors = 0;
  let bytes = 0;
  const started = process.hrtime.bigint();
  // One deadline for the whole row, logins included: basic-ftp's own timeout did not end a login that
  // vsftpd never answered, and the row then ran for over 10 minutes.
  // (Closing a basic-ftp client does not end a pending login either, so every wait is raced against the deadline.)
  const clients = Array.from({ length: sessions }, () => new Client(60_000));
  let expire!: () => void;
  const expired = new Promise<undefined>((resolve) => {
    expire = () => resolve(undefined);
  });
  let overdue = false;
  const deadline = setTimeout(() => {
    overdue = true;
    expire();
    for (const client of clients) client.close();
  }, maxSeconds * 1000);
  const access = (client: Client) =>
    Promise.race([
      client
        .access({ host: "127.0.0.1", port: target.port, user: target.user, password: target.password, secure: true, secureOptions: { rejectUnauthorized: false } })
        .then(() => client),
      expired,
    ]).catch(() => undefined);
  // Ramp the logins 32 at a time (vsftpd's listen backlog is 32, PEERS.md), then download all at once.
  const ready: Client[] = [];
  for (let i = 0; i < sessions && !overdue; i += 32) {
    ready.push(...(await Promise.all(clients.slice(i, i + 32).map(access))).filter((c): c is Client => c !== undefined));
  }
  errors += sessions - ready.length;
  await Promise.all(
    ready.map(async (client) => {
      const sink = new PassThrough();
      sink.on("data", (chunk: Buffer) => {
        bytes += chunk.length;
      });
      try {
        if ((await Promise.race([client.downloadTo(sink, "one-mib.bin").then(() => true), expired])) !== true) errors++;
      } catch {
        errors++;
      } finally {
        client.close();
      }
    }),
  );
  clearTimeout(deadline);
  for (const client of clients) client.close();
  return { MBps: bytes / 1024 / 1024 / seconds(started), errors };
}
