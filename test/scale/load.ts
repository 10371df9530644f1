/**
 * The partners' side of a scale run: `partners` curl clients at once, each
 * from its own loopback address, uploading files of mixed sizes over explicit
 * FTPS through HAProxy, and trying again (a new session) when a session dies,
 * until every file got its 226. A lister watches the folder meanwhile: a
 * name that shows with another size than the file's was listed half-done.
 */
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";

export interface PlannedFile {
  name: string;
  size: number;
  sha256: string;
  /** Where its bytes are on this machine. */
  source: string;
}

export interface UploadOutcome {
  /** Tries it took to get a 226. */
  attempts: number;
  /** Tries that failed after the server had answered 150 (the transfer had started). */
  failedAfterStart: number;
  /** When the 226 came (ms since the epoch). */
  storedAt?: number;
  /** The last failure, if it never got a 226. */
  error?: string;
}

export interface LoadReport {
  outcomes: ReadonlyMap<string, UploadOutcome>;
  /** Names a listing showed with a size other than their file's. */
  partialListings: string[];
  /** How many listings the lister took. */
  listings: number;
}

/** Mixed sizes, as B2B traffic is: mostly small files, some large. */
export const MIXED_SIZES = [
  { share: 0.5, bytes: 4 * 1024 },
  { share: 0.3, bytes: 64 * 1024 },
  { share: 0.15, bytes: 512 * 1024 },
  { share: 0.05, bytes: 4 * 1024 * 1024 },
];

/** Writes `count` files of mixed sizes (random bytes) under `dir`. */
export async function planFiles(dir: string, count: number, prefix = "f"): Promise<PlannedFile[]> {
  await mkdir(dir, { recursive: true });
  const files: PlannedFile[] = [];
  for (let index = 0; index < count; index++) {
    // Deterministic mix: the shares hold for any count.
    const position = (index * 0.618_033_988_75) % 1;
    let size = MIXED_SIZES.at(-1)?.bytes ?? 4_096;
    for (let kind = 0, cumulative = 0; kind < MIXED_SIZES.length; kind++) {
      cumulative += MIXED_SIZES[kind]?.share ?? 0;
      if (cumulative > position) {
        size = MIXED_SIZES[kind]?.bytes ?? size;
        break;
      }
    }
    const bytes = randomBytes(size);
    const name = `${prefix}-${String(index).padStart(5, "0")}.bin`;
    const source = join(dir, name);
    await writeFile(source, bytes);
    files.push({ name, size, sha256: createHash("sha256").update(bytes).digest("hex"), source });
  }
  return files;
}

export interface LoadOptions {
  host: string;
  port: number;
  folder: string;
  files: PlannedFile[];
  partners: number;
  /** Partner i logs in as users[i % users.length] from address(i). */
  users: Array<{ name: string; password: string }>;
  address: (partner: number) => string;
  /** Tries per file before it counts as failed for good. */
  maxAttempts?: number;
  /** Stops starting new tries after this (the run's bound). */
  deadlineMs?: number;
  /** Each partner's pause between two files: partners that send now and then, and a load that lasts. */
  pauseMs?: number;
}

interface CurlResult {
  ok: boolean;
  /** The server had answered 150: the transfer had begun. */
  started: boolean;
  error: string;
}

function curl(args: string[]): Promise<CurlResult> {
  return new Promise((resolve) => {
    execFile("curl", ["-sS", "-v", "--ssl-reqd", "-k", "--max-time", "120", ...args], { maxBuffer: 64 * 1024 * 1024 }, (error, _stdout, stderr) => {
      const started = /^< 150/m.test(stderr);
      const last = stderr.split("\n").filter((line) => line.startsWith("curl:") || line.startsWith("< ")).slice(-2).join(" | ");
      resolve({ ok: !error, started, error: error ? `${error.message.split("\n")[0]} ${last}` : "" });
    });
  });
}

/**
 * Uploads every file, `partners` at a time, and watches listings until the last upload ended. `outcomes`
 * fills in as files are stored (a fault injector watches it); `finished` resolves with the whole report.
 */
export function startUploads(options: LoadOptions, watchListing = true): { outcomes: ReadonlyMap<string, UploadOutcome>; finished: Promise<LoadReport> } {
  const { host, port, folder, files, partners, users, address } = options;
  const maxAttempts = options.maxAttempts ?? 20;
  const deadline = Date.now() + (options.deadlineMs ?? 600_000);
  const outcomes = new Map<string, UploadOutcome>(files.map((file) => [file.name, { attempts: 0, failedAfterStart: 0 }]));
  const sizes = new Map(files.map((file) => [file.name, file.size]));
  const queue = [...files];
  let done = false;
  const partialListings: string[] = [];
  let listings = 0;

  const partner = async (index: number) => {
    const user = users[index % users.length] as { name: string; password: string };
    for (let file = queue.shift(); file; file = queue.shift()) {
      const outcome = outcomes.get(file.name) as UploadOutcome;
      while (outcome.storedAt === undefined && outcome.attempts < maxAttempts && Date.now() < deadline) {
        outcome.attempts += 1;
        const result = await curl(["--interface", address(index), "--ftp-create-dirs", "-u", `${user.name}:${user.password}`, "-T", file.source, `ftp://${host}:${port}/${folder}/${file.name}`]);
        if (result.ok) outcome.storedAt = Date.now();
        else {
          if (result.started) outcome.failedAfterStart += 1;
          outcome.error = result.error;
          // A session that died (a listener or storage killed): a moment, then a new session.
          await new Promise((resolve) => setTimeout(resolve, 200 * Math.min(outcome.attempts, 10)));
        }
      }
      if (options.pauseMs) await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
    }
  };

  const lister = async () => {
    const user = users[0] as { name: string; password: string };
    while (!done) {
      const listing = await new Promise<string>((resolve) =>
        execFile("curl", ["-sS", "--ssl-reqd", "-k", "--max-time", "30", "--interface", address(partners), "-u", `${user.name}:${user.password}`, `ftp://${host}:${port}/${folder}/`], (error, stdout) =>
          resolve(error ? "" : stdout),
        ),
      );
      if (listing) listings += 1;
      for (const line of listing.split("\n")) {
        // ls -l style: the size is the fifth field, the name the last.
        const fields = line.trim().split(/\s+/);
        const name = fields.at(-1) ?? "";
        const expected = sizes.get(name);
        if (expected !== undefined && Number(fields[4]) !== expected) partialListings.push(`${name}: listed with ${fields[4]} of ${expected} bytes`);
      }
    }
  };

  const watching = watchListing ? lister() : Promise.resolve();
  const finished = (async () => {
    await Promise.all(Array.from({ length: partners }, (_, index) => partner(index)));
    done = true;
    await watching;
    return { outcomes, partialListings, listings };
  })();
  return { outcomes, finished };
}
