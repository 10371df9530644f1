/**
 * npm run bench: Wharf and its peers (vsftpd when installed, ftp-srv 4.6.3) in
 * one run, same machine, same clients, every server's files on the same
 * filesystem (a tmpfs when /dev/shm exists). Prints the table and writes it to
 * docs/benchmarks.md. Sizes shrink with BENCH_LARGE_MB, BENCH_SMALL_FILES,
 * BENCH_LOGINS and BENCH_SESSIONS for a quick run; BENCH_REPEAT sets the runs
 * per figure (median) and BENCH_MAX_SECONDS bounds each small-file and login run.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { makeTestCertificates } from "@wharf/testing";
import { startFtpSrv, startVsftpd, startWharfTarget, type Target } from "./peers.js";
import { outboundPush } from "./outbound-push.js";
import { storageAlone } from "./storage-alone.js";
import { largeFile, logins, manyDownloads, peakMemory, smallFiles } from "./workloads.js";

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const LARGE_MB = env("BENCH_LARGE_MB", 1024);
const SMALL = env("BENCH_SMALL_FILES", 2000);
const LOGINS = env("BENCH_LOGINS", 200);
const SESSIONS = env("BENCH_SESSIONS", 500);
// Each figure but the many-sessions one is the median of this many runs (the peers' reference figures are medians of 3).
const REPEAT = env("BENCH_REPEAT", 3);
// Every load loop is bounded in time too: no new upload or login starts after this many seconds of a run.
const MAX_SECONDS = env("BENCH_MAX_SECONDS", 60);

async function repeat<T>(work: () => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  for (let run = 0; run < REPEAT; run++) results.push(await work());
  return results;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

const base = mkdtempSync(join(existsSync("/dev/shm") ? "/dev/shm" : "/tmp", "wharf-bench-"));
const certs = await makeTestCertificates(join(base, "certs"));
const tls = { certFile: certs.serverCertFile, keyFile: certs.serverKeyFile };
const large = join(base, "large.bin");
execFileSync("sh", ["-c", `head -c ${LARGE_MB * 1024 * 1024} /dev/urandom > ${large}`]);

type Row = Record<string, string>;
const rows = new Map<string, Row>();
const record = (workload: string, target: string, value: string) => rows.set(workload, { ...(rows.get(workload) ?? {}), [target]: value });

const starters: Array<[string, () => Promise<Target | undefined>]> = [
  ["wharf", () => startWharfTarget(base)],
  ["vsftpd", () => startVsftpd(base, tls)],
  ["ftp-srv", () => startFtpSrv(base, tls)],
];
const names: string[] = [];
for (const [name, start] of starters) {
  const target = await start().catch((error: unknown) => {
    console.error(`${name}: could not start (${error instanceof Error ? error.message : String(error)})`);
    return undefined;
  });
  if (!target) {
    console.error(`${name}: skipped (not installed or not startable)`);
    continue;
  }
  names.push(name);
  console.error(`${name}: running the workloads…`);
  try {
    await runWorkloads(name, target);
  } finally {
    await target.stop();
  }
}

async function runWorkloads(name: string, target: Target): Promise<void> {
  const safely = async (workload: string, work: () => Promise<string>) => {
    try {
      record(workload, name, await work());
    } catch (error) {
      record(workload, name, `failed: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`);
    }
  };
  await safely(`${LARGE_MB} MiB upload, MB/s (curl)`, async () => {
    const runs = await repeat(() => largeFile(target, large, LARGE_MB));
    record(`${LARGE_MB} MiB download, MB/s (curl)`, name, median(runs.map((run) => run.downMBps)).toFixed(0));
    return median(runs.map((run) => run.upMBps)).toFixed(0);
  });
  await safely(`${SMALL} × 4 KiB STOR, 1 session, files/s`, async () => median(await repeat(() => smallFiles(target, SMALL, 1, MAX_SECONDS))).toFixed(0));
  await safely(`${SMALL} × 4 KiB STOR, 8 sessions, files/s`, async () => median(await repeat(() => smallFiles(target, SMALL, 8, MAX_SECONDS))).toFixed(0));
  const loginRow = async (count: number, concurrency: number) => {
    const runs = await repeat(() => logins(target, count, concurrency, MAX_SECONDS));
    const errors = runs.reduce((sum, run) => sum + run.errors, 0);
    return `${median(runs.map((run) => run.rate)).toFixed(0)}${errors ? ` (${errors} errors)` : ""}`;
  };
  await safely(`TLS logins/s, 1 at a time`, () => loginRow(Math.max(20, LOGINS / 4), 1));
  await safely(`TLS logins/s, 32 concurrent`, () => loginRow(LOGINS, 32));
  await safely(`${SESSIONS} sessions × 1 MiB RETR: MB/s, errors, peak MiB`, async () => {
    const { result, peakMiB } = await peakMemory(target, () => manyDownloads(target, SESSIONS, 2 * MAX_SECONDS));
    return `${result.MBps.toFixed(0)}, ${result.errors}, ${peakMiB.toFixed(0)}`;
  });
}

// Storage alone (no FTP in front): Wharf's own rows, to read the FTP figures against.
try {
  const runs = await repeat(() => storageAlone(base, { largeMiB: LARGE_MB, smallFiles: SMALL, maxSeconds: MAX_SECONDS }));
  record(`storage alone (gRPC, no FTP): ${LARGE_MB} MiB upload, MB/s`, "wharf", median(runs.map((run) => run.largeMBps)).toFixed(0));
  record(`storage alone: ${SMALL} × 4 KiB commits, 1 stream, files/s`, "wharf", median(runs.map((run) => run.oneStream)).toFixed(0));
  record(`storage alone: ${SMALL} × 4 KiB commits, 8 streams, files/s`, "wharf", median(runs.map((run) => run.eightStreams)).toFixed(0));
} catch (error) {
  record("storage alone (gRPC, no FTP)", "wharf", `failed: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`);
}
// The same with the JetStream object-store backend (WHARF_STORAGE_BACKEND=nats).
try {
  const runs = await repeat(() => storageAlone(base, { largeMiB: LARGE_MB, smallFiles: SMALL, maxSeconds: MAX_SECONDS, backend: "object-store" }));
  record(`storage alone, nats backend: ${LARGE_MB} MiB upload, MB/s`, "wharf", median(runs.map((run) => run.largeMBps)).toFixed(0));
  record(`storage alone, nats backend: ${SMALL} × 4 KiB commits, 1 stream, files/s`, "wharf", median(runs.map((run) => run.oneStream)).toFixed(0));
  record(`storage alone, nats backend: ${SMALL} × 4 KiB commits, 8 streams, files/s`, "wharf", median(runs.map((run) => run.eightStreams)).toFixed(0));
} catch (error) {
  record("storage alone, nats backend", "wharf", `failed: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`);
}

// Outbound pushing to vsftpd (issue 6): partners' sessions kept between deliveries, and a new one per file.
const PUSHES = Math.min(SMALL, 1000);
if (names.includes("vsftpd")) {
  for (const [label, sessionIdleMs] of [["sessions kept", 30_000], ["a new session per file", 0]] as const) {
    try {
      const runs = await repeat(() => outboundPush(base, { files: PUSHES, maxSeconds: MAX_SECONDS, sessionIdleMs }));
      record(`outbound: ${PUSHES} × 4 KiB pushed to vsftpd (FTPS), ${label}, files/s`, "wharf", median(runs).toFixed(0));
    } catch (error) {
      record(`outbound: ${PUSHES} × 4 KiB pushed to vsftpd (FTPS), ${label}, files/s`, "wharf", `failed: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`);
    }
  }
}

const header = ["workload", ...names, ...names.filter((n) => n !== "wharf").map((n) => `wharf/${n}`)];
const ratio = (a?: string, b?: string) => {
  const x = Number.parseFloat(a ?? "");
  const y = Number.parseFloat(b ?? "");
  return Number.isFinite(x) && Number.isFinite(y) && y > 0 ? (x / y).toFixed(2) : "-";
};
const lines = [`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`];
for (const [workload, row] of rows) {
  lines.push(`| ${[workload, ...names.map((n) => row[n] ?? "-"), ...names.filter((n) => n !== "wharf").map((n) => ratio(row.wharf, row[n]))].join(" | ")} |`);
}
const machine = `${cpus().length} × ${cpus()[0]?.model ?? "CPU"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, files on ${base.startsWith("/dev/shm") ? "tmpfs" : "disk"}`;
const table = lines.join("\n");
console.log(table);
const doc = fileURLToPath(new URL("../../../docs/benchmarks.md", import.meta.url));
// Everything from the marker on is the reading of the figures, written by people: a run replaces only what is above it.
const MARKER = "<!-- Above: written by npm run bench. Below: kept by it. -->";
const previous = existsSync(doc) ? readFileSync(doc, "utf8") : "";
const kept = previous.includes(MARKER) ? previous.slice(previous.indexOf(MARKER)) : `${MARKER}\n`;
writeFileSync(
  doc,
  [
    "# Benchmarks",
    "",
    "Made by `npm run bench`: Wharf and its peers in one run, on one machine, with the same clients (curl for the large file, basic-ftp",
    `for the rest, explicit FTPS, TLS 1.3). Each figure is the median of ${REPEAT} runs, except the many-sessions row (one run); run to run`,
    "noise here is 10-30 %, so compare ratios within a run (PEERS.md).",
    "For the login and session rows, a ratio above 1 favours Wharf; for the memory figure (last number), below 1 does.",
    "",
    `Machine: ${machine}. Run: ${new Date().toISOString()}.`,
    "",
    table,
    "",
    kept,
  ].join("\n"),
);
rmSync(base, { recursive: true, force: true });
