/**
 * npm run bench: Wharf and its peers (vsftpd when installed, ftp-srv 4.6.3) in
 * one run, same machine, same clients, every server's files on the same
 * filesystem (a tmpfs when /dev/shm exists). Prints the table and writes it to
 * docs/benchmarks.md. Sizes shrink with BENCH_LARGE_MB, BENCH_SMALL_FILES,
 * BENCH_LOGINS and BENCH_SESSIONS for a quick run; BENCH_REPEAT sets the runs
 * per figure (median) and BENCH_MAX_SECONDS bounds each small-file and login run.
 * With HAProxy installed, the same workloads also run against the scaled-out
 * stack (test/scale) through HAProxy ("wharf-scaled"; BENCH_SCALED=0 skips it).
 * BENCH_IDLE_SESSIONS and BENCH_ACTIVE_SESSIONS size the idle-sessions row.
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
import { idleSessions } from "./idle-sessions.js";
import { startScaledTarget } from "./scaled-target.js";
import { tlsCeiling } from "./tls-ceiling.js";

function hasCommand(command: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const LARGE_MB = env("BENCH_LARGE_MB", 1024);
const SMALL = env("BENCH_SMALL_FILES", 2000);
const LOGINS = env("BENCH_LOGINS", 200);
const SESSIONS = env("BENCH_SESSIONS", 500);
// Each figure but the many-sessions one is the median of this many runs (the peers' reference figures are medians of 3).
const REPEAT = env("BENCH_REPEAT", 3);
// Every load loop is bounded in time too: no new upload or login starts after this many seconds of a run.
const MAX_SECONDS = env("BENCH_MAX_SECONDS", 60);
const IDLE_SESSIONS = env("BENCH_IDLE_SESSIONS", 10_000);
const ACTIVE_SESSIONS = env("BENCH_ACTIVE_SESSIONS", 1_000);
const SCALED = env("BENCH_SCALED", 1) === 1 && hasCommand("haproxy");

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
  ["wharf-scaled", () => (SCALED ? startScaledTarget() : Promise.resolve(undefined))],
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
    if (name === "wharf") await wharfOnly(target);
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

/** Rows for Wharf alone: its download against the Node TLS ceiling, and many idle sessions on one listener. */
async function wharfOnly(target: Target): Promise<void> {
  const downloadRow = `${LARGE_MB} MiB download, MB/s (curl)`;
  try {
    const ceiling = median(await repeat(() => tlsCeiling(tls, LARGE_MB)));
    record(`Node TLS loopback ceiling, one stream, MB/s`, "wharf", ceiling.toFixed(0));
    const download = Number.parseFloat(rows.get(downloadRow)?.wharf ?? "");
    if (Number.isFinite(download)) record(`single-stream FTPS download / Node TLS ceiling (goal ≥ 0.80)`, "wharf", (download / ceiling).toFixed(2));
  } catch (error) {
    record(`Node TLS loopback ceiling, one stream, MB/s`, "wharf", `failed: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`);
  }
  const idleRow = `${IDLE_SESSIONS} idle TLS sessions + ${ACTIVE_SESSIONS} × 1 MiB RETR on one listener: opened, errors, MiB per idle session`;
  try {
    const run = await idleSessions(target, IDLE_SESSIONS, ACTIVE_SESSIONS, 4 * MAX_SECONDS);
    const errors = run.failures + (run.opened - run.stillOpen) + run.active.errors;
    record(idleRow, "wharf", `${run.opened}, ${errors}, ${run.mibPerSession.toFixed(3)}`);
  } catch (error) {
    record(idleRow, "wharf", `failed: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`);
  }
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

// Ratios: each Wharf (one machine, and scaled out behind HAProxy) against each peer and against the fastest peer of the row.
const wharfs = names.filter((n) => n.startsWith("wharf"));
const peers = names.filter((n) => !n.startsWith("wharf"));
const ratioColumns = wharfs.flatMap((w) => [...peers.map((p) => [w, p] as const), [w, "fastest"] as const]);
const header = ["workload", ...names, ...ratioColumns.map(([w, p]) => `${w}/${p}`)];
const fastest = (row: Row) => {
  const values = peers.map((p) => Number.parseFloat(row[p] ?? "")).filter((value) => Number.isFinite(value) && value > 0);
  return values.length > 0 ? String(Math.max(...values)) : undefined;
};
const ratio = (a?: string, b?: string) => {
  const x = Number.parseFloat(a ?? "");
  const y = Number.parseFloat(b ?? "");
  return Number.isFinite(x) && Number.isFinite(y) && y > 0 ? (x / y).toFixed(2) : "-";
};
const lines = [`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`];
for (const [workload, row] of rows) {
  lines.push(`| ${[workload, ...names.map((n) => row[n] ?? "-"), ...ratioColumns.map(([w, p]) => ratio(row[w], p === "fastest" ? fastest(row) : row[p]))].join(" | ")} |`);
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
    "`wharf` is `npm start` on one machine; `wharf-scaled` is the scaled-out stack of test/scale (3 NATS nodes, two of each service,",
    "storage on the nats backend) with every client going through HAProxy and the PROXY protocol. `/fastest` divides by the best peer of the row.",
    "",
    `Machine: ${machine}. Run: ${new Date().toISOString()}.`,
    "",
    table,
    "",
    kept,
  ].join("\n"),
);
rmSync(base, { recursive: true, force: true });
