/**
 * One load run against the scaled-out stack, with what happens to the fleet
 * meanwhile ("kill": SIGKILL one listener, one storage, one outbound and one
 * NATS node at random moments, each started again by the supervisor a moment
 * later; "rolling": SIGTERM and start every service instance in turn; "none"),
 * and then every check of issue 8's fault scenario, counted.
 */
import { createHash } from "node:crypto";
import { chmod, mkdir, readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { streams, subjects } from "@wharf/contracts";
import { partnerEndpoint, startVsftpdPartner, streamMessages, type VsftpdPartner, waitFor } from "@wharf/testing";
import { type LoadReport, planFiles, startUploads } from "./load.js";
import { applyPipeline, type ScaleStack } from "./stack.js";

export const PARTNER_PASSWORD_ENV = "WHARF_SCALE_PARTNER_PASSWORD";
export const PARTNER_PASSWORD = "partner-password-1";
const ROOT = "exchange";
const PIPELINE = "to-partner";

export interface ScenarioOptions {
  files: number;
  partners: number;
  faults: "kill" | "rolling" | "none";
  /** Starts the run's file names (several runs on one stack keep apart). */
  prefix?: string;
  /** Progress lines (what was killed when). */
  say?: (line: string) => void;
  /** Bound of the whole run. */
  deadlineMs?: number;
  /** Each partner's pause between files (so that a rolling restart happens under the load, not after it). */
  pauseMs?: number;
}

export interface ScenarioReport {
  mode: ScenarioOptions["faults"];
  files: number;
  partners: number;
  /** Files that got a 226. */
  stored: number;
  /** Of those, read back from storage with the right SHA-256. */
  storedIntact: number;
  /** Of those, at the partner with the right SHA-256. */
  deliveredIntact: number;
  /**
   * Files that appeared under their name at the partner (a rename to it) more often than they were stored,
   * and never. A client that lost its 226 with a killed listener sends the file again:
   * that is a second version, stored and delivered once more, as it should be.
   */
  deliveredTwice: number;
  /** Files stored as more than one version (a client's retry after its 226 was lost). */
  storedTwice: number;
  deliveredNever: number;
  /** Uploads of this run's files in the partner's transfer log (data sent), and renames to their final names in its protocol log (deliveries made visible). */
  partnerUploads: number;
  partnerDeliveries: number;
  /**
   * Files whose bytes went to the partner more often than they were stored, though they appeared under their
   * name once: a push cut by a kill after its upload and before its rename is sent again to the same
   * temporary name (at least once; the partner never shows it twice).
   */
  sentAgain: number;
  /** transfer.completed events beyond one per file. */
  extraCompletedEvents: number;
  deadLetters: number;
  /** Files that needed more than one try, tries in all, and tries that failed after their transfer had started (150). */
  retriedFiles: number;
  attempts: number;
  failedAfterStart: number;
  /** Listings taken through Wharf meanwhile, and names shown half-done there or at the partner. */
  listings: number;
  partialListings: string[];
  partialAtPartner: string[];
  faults: string[];
  /** Faults that happened before the last upload ended (the rest came after the load: they prove nothing). */
  faultsDuringLoad: number;
  uploadSeconds: number;
  problems: string[];
}

export async function runScenario(stack: ScaleStack, options: ScenarioOptions): Promise<ScenarioReport> {
  const say = options.say ?? (() => undefined);
  const deadline = Date.now() + (options.deadlineMs ?? 900_000);
  const users = Array.from({ length: options.partners }, (_, index) => ({ name: `partner${index + 1}`, password: `password-${index + 1}-secret` }));
  for (const user of users) await stack.addUser({ name: user.name, home: ROOT, password: user.password });
  const prefix = options.prefix ?? "f";
  const xferlog = join(stack.dir, `vsftpd-xfer-${prefix}.log`);
  const protocolLog = join(stack.dir, `vsftpd-protocol-${prefix}.log`);
  const partner: VsftpdPartner = await startVsftpdPartner(stack.dir, {
    certFile: stack.certs.serverCertFile,
    keyFile: stack.certs.serverKeyFile,
    // The transfer log counts uploads; the protocol log shows each rename to the final name: a delivery.
    extraConfig: ["xferlog_enable=YES", "xferlog_std_format=YES", `xferlog_file=${xferlog}`, "dual_log_enable=YES", `vsftpd_log_file=${protocolLog}`, "log_ftp_protocol=YES"],
  });
  try {
    // The partner's user (not this process's) writes there.
    await mkdir(join(partner.root, "in"), { recursive: true });
    await chmod(join(partner.root, "in"), 0o777);
    await applyPipeline(
      stack.nc,
      partnerEndpoint(partner, stack.certs.serverCert, { name: "partner", passwordEnv: PARTNER_PASSWORD_ENV, remoteFolder: "/in", maxConnections: 8 }),
      // Tries again soon: a delivery that met a killed instance should not wait minutes (the default backoff) to go.
      { name: PIPELINE, source: { root: ROOT, folder: "/drop" }, target: "partner", retry: { maxAttempts: 30, initialDelayMs: 1_000, maxDelayMs: 5_000 } },
    );
    const files = await planFiles(join(stack.dir, `files-${prefix}`), options.files, prefix);
    const expected = new Map(files.map((file) => [file.name, file]));

    // The partner's folder, watched: a delivered name must never be there half-written.
    const partialAtPartner = new Set<string>();
    let watching = true;
    const partnerWatch = (async () => {
      while (watching) {
        for (const { name, size } of await partnerFiles(partner.root)) {
          const file = expected.get(name);
          if (file && size !== file.size) partialAtPartner.add(`${name}: ${size} of ${file.size} bytes at the partner`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();

    const started = Date.now();
    const uploads = startUploads({
      host: stack.ftp.host,
      port: stack.ftp.port,
      folder: "drop",
      files,
      partners: options.partners,
      users,
      address: (index) => `127.0.1.${index + 1}`,
      deadlineMs: Math.max(0, deadline - Date.now()),
      ...(options.pauseMs ? { pauseMs: options.pauseMs } : {}),
    });
    // Faults at random moments: when a random share (10-80 %) of the files has been stored.
    const faults: string[] = [];
    const stored = () => [...uploads.outcomes.values()].filter((outcome) => outcome.storedAt !== undefined).length;
    const restarts: Promise<void>[] = [];
    const plan = faultPlan(stack, options.faults, restarts);
    // Kills at random moments; a rolling restart starts early and goes on, one instance after the other, through the run.
    const thresholds =
      options.faults === "rolling"
        ? plan.map((_, index) => Math.floor(options.files * (0.05 + (0.6 * index) / plan.length)))
        : plan.map(() => Math.floor(options.files * (0.1 + Math.random() * 0.7))).sort((a, b) => a - b);
    let faultsDone = false;
    const injector = (async () => {
      for (const [index, step] of plan.entries()) {
        await waitFor(() => (stored() >= (thresholds[index] ?? 0) || Date.now() > deadline ? true : undefined), { timeoutMs: options.deadlineMs ?? 900_000, intervalMs: 50, what: "the next fault's moment" });
        const line = await step();
        faults.push(`${line} at ${stored()} of ${options.files} files stored`);
        say(`fault: ${faults.at(-1)}`);
      }
      faultsDone = true;
    })();

    const report: LoadReport = await uploads.finished;
    const faultsWhileLoaded = faults.length;
    const uploadSeconds = (Date.now() - started) / 1_000;
    await injector;
    if (!faultsDone) throw new Error("the faults did not all happen");
    // Instances killed and not yet back are started by the supervisor in the background: wait for them.
    await Promise.all(restarts);
    say(`uploads done in ${uploadSeconds.toFixed(1)} s; waiting for deliveries`);

    const storedFiles = files.filter((file) => report.outcomes.get(file.name)?.storedAt !== undefined);
    // Every stored file is delivered (or dead-lettered) before the checks.
    const completed = async () => (await streamMessages(stack.nc, streams.events.name, subjects.transferCompleted)).map((message) => message.body as { pipeline: string; path: string; uploadId: string });
    let lastSaid = 0;
    await waitFor(
      async () => {
        const done = new Set((await completed()).filter((event) => event.pipeline === PIPELINE).map((event) => event.path));
        const dead = (await streamMessages(stack.nc, streams.deadLetters.name, ">")).length;
        if (Date.now() - lastSaid > 10_000) {
          lastSaid = Date.now();
          say(`delivered ${storedFiles.filter((file) => done.has(`/drop/${file.name}`)).length} of ${storedFiles.length}, dead letters ${dead}`);
        }
        return storedFiles.every((file) => done.has(`/drop/${file.name}`)) || dead > 0 ? true : undefined;
      },
      { timeoutMs: Math.max(60_000, deadline - Date.now()), intervalMs: 500, what: "every stored file to be delivered" },
    ).catch((error: Error) => say(`${error.message}: checking what is there`));
    watching = false;
    await partnerWatch;

    // Storage: each stored file read back through the storage API, hashed.
    const storage = await stack.storageClient();
    let storedIntact = 0;
    const problems: string[] = [];
    const readBack = async (name: string) => {
      const hash = createHash("sha256");
      for await (const chunk of storage.read({ root: ROOT, path: `/drop/${name}` })) hash.update(chunk);
      return hash.digest("hex");
    };
    for (const file of storedFiles) {
      try {
        if ((await readBack(file.name)) === file.sha256) storedIntact += 1;
        else problems.push(`${file.name}: storage holds other bytes`);
      } catch (error) {
        // Told apart: a read that fails once (a NATS node still catching up) from bytes that are gone.
        await new Promise((resolve) => setTimeout(resolve, 5_000));
        const again = await readBack(file.name).then(
          (digest) => (digest === file.sha256 ? "intact" : "other bytes"),
          (second: Error) => `failed again: ${second.message}`,
        );
        problems.push(`${file.name}: not readable from storage: ${(error as Error).message} (read again 5 s later: ${again})`);
      }
    }
    storage.close();

    // The partner: each file's bytes, and how many times it was uploaded (vsftpd's transfer log).
    const atPartner = new Map((await partnerFiles(partner.root)).map((entry) => [entry.name, entry.path]));
    const uploadsAtPartner = countUploads(await readFile(xferlog, "utf8").catch(() => ""));
    const renamesAtPartner = countRenames(await readFile(protocolLog, "utf8").catch(() => ""));
    const versions = new Map<string, number>();
    for (const message of await streamMessages(stack.nc, streams.events.name, subjects.fileStored)) {
      const name = String((message.body as { path?: string }).path ?? "").split("/").at(-1) ?? "";
      if (expected.has(name)) versions.set(name, (versions.get(name) ?? 0) + 1);
    }
    let deliveredIntact = 0;
    let deliveredTwice = 0;
    let sentAgain = 0;
    let deliveredNever = 0;
    for (const file of storedFiles) {
      const path = atPartner.get(file.name);
      if (!path) {
        deliveredNever += 1;
        problems.push(`${file.name}: not at the partner`);
        continue;
      }
      if (createHash("sha256").update(await readFile(path)).digest("hex") === file.sha256) deliveredIntact += 1;
      else problems.push(`${file.name}: the partner holds other bytes`);
      if ((renamesAtPartner.get(file.name) ?? 0) > (versions.get(file.name) ?? 1)) deliveredTwice += 1;
      if ((uploadsAtPartner.get(file.name) ?? 0) > (versions.get(file.name) ?? 1)) sentAgain += 1;
    }
    // Deliveries per stored version (path and upload id): exactly one each.
    const perVersion = new Map<string, number>();
    for (const event of await completed()) {
      if (event.pipeline !== PIPELINE || !expected.has(event.path.split("/").at(-1) ?? "")) continue;
      const version = `${event.path} ${event.uploadId}`;
      perVersion.set(version, (perVersion.get(version) ?? 0) + 1);
    }
    const outcomes = [...report.outcomes.values()];
    for (const [name, outcome] of report.outcomes) if (outcome.storedAt === undefined) problems.push(`${name}: never stored after ${outcome.attempts} tries: ${outcome.error}`);
    return {
      mode: options.faults,
      files: options.files,
      partners: options.partners,
      stored: storedFiles.length,
      storedIntact,
      deliveredIntact,
      deliveredTwice,
      deliveredNever,
      partnerUploads: storedFiles.reduce((sum, file) => sum + (uploadsAtPartner.get(file.name) ?? 0), 0),
      partnerDeliveries: storedFiles.reduce((sum, file) => sum + (renamesAtPartner.get(file.name) ?? 0), 0),
      sentAgain,
      storedTwice: [...versions.values()].filter((count) => count > 1).length,
      extraCompletedEvents: [...perVersion.values()].reduce((sum, count) => sum + Math.max(0, count - 1), 0),
      deadLetters: (await streamMessages(stack.nc, streams.deadLetters.name, ">")).length,
      retriedFiles: outcomes.filter((outcome) => outcome.attempts > 1).length,
      attempts: outcomes.reduce((sum, outcome) => sum + outcome.attempts, 0),
      failedAfterStart: outcomes.reduce((sum, outcome) => sum + outcome.failedAfterStart, 0),
      listings: report.listings,
      partialListings: report.partialListings,
      partialAtPartner: [...partialAtPartner],
      faults,
      faultsDuringLoad: faultsWhileLoaded,
      uploadSeconds,
      problems,
    };
  } finally {
    await partner.stop();
  }
}

/** What happens to the fleet, step by step; each step says what it did. */
function faultPlan(stack: ScaleStack, faults: ScenarioOptions["faults"], restarts: Promise<void>[]): Array<() => Promise<string>> {
  const pick = <T>(items: T[]): T => items[Math.floor(Math.random() * items.length)] as T;
  const ofKind = (kind: string) => stack.services.filter((service) => service.kind === kind);
  if (faults === "none") return [];
  if (faults === "kill") {
    // The supervisor (compose's restart policy, Kubernetes) starts a killed instance again a moment later,
    // while the run goes on to its next fault.
    const later = (start: () => Promise<void>, ms: number) => restarts.push(new Promise((resolve) => setTimeout(resolve, ms)).then(start));
    const killService = (kind: string) => async () => {
      const victim = pick(ofKind(kind));
      await victim.signal("SIGKILL");
      later(() => victim.start(), 1_000);
      return `SIGKILL ${victim.name}`;
    };
    const killNats = async () => {
      const node = pick(stack.nats.nodes);
      await node.kill();
      later(() => node.start(), 2_000);
      return `SIGKILL nats ${node.name}`;
    };
    return shuffle([killService("listener"), killService("storage"), killService("outbound"), killNats]);
  }
  // Rolling: every instance in turn, the next only once the last is ready again.
  return ["listener", "storage", "auth", "outbound"].flatMap((kind) =>
    ofKind(kind).map((service) => async () => {
      const exit = await service.signal("SIGTERM");
      await service.start();
      return `SIGTERM ${service.name} (exit ${exit.code ?? exit.signal}), started again`;
    }),
  );
}

function shuffle<T>(items: T[]): T[] {
  const copy = [...items];
  for (let index = copy.length - 1; index > 0; index--) {
    const other = Math.floor(Math.random() * (index + 1));
    [copy[index], copy[other]] = [copy[other] as T, copy[index] as T];
  }
  return copy;
}

/** Every file under the partner's folder (names, sizes, paths), temporary `.part` names left out. */
async function partnerFiles(root: string): Promise<Array<{ name: string; size: number; path: string }>> {
  const found: Array<{ name: string; size: number; path: string }> = [];
  const walk = async (dir: string) => {
    for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (!entry.name.startsWith(".")) {
        const size = await stat(path).then((info) => info.size, () => undefined);
        if (size !== undefined) found.push({ name: entry.name, size, path });
      }
    }
  };
  await walk(root);
  return found;
}

/** Successful renames to a final name (RNTO answered 250) per name, in a vsftpd protocol log (log_ftp_protocol). */
export function countRenames(log: string): Map<string, number> {
  const counts = new Map<string, number>();
  const pendingByProcess = new Map<string, string>();
  for (const line of log.split("\n")) {
    const process = /\[pid (\d+)\]/.exec(line)?.[1];
    if (!process) continue;
    const rename = /FTP command: Client "[^"]*", "RNTO ([^"]+)"/.exec(line);
    if (rename) {
      pendingByProcess.set(process, (rename[1] ?? "").split("/").at(-1) ?? "");
      continue;
    }
    const response = /FTP response: Client "[^"]*", "(\d{3})/.exec(line);
    const name = pendingByProcess.get(process);
    if (response && name !== undefined) {
      pendingByProcess.delete(process);
      if (response[1] === "250") counts.set(name, (counts.get(name) ?? 0) + 1);
    }
  }
  return counts;
}

/** Completed uploads per delivered name in a vsftpd xferlog (standard format): `.NAME.<id>.part` counts for NAME. */
export function countUploads(log: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of log.split("\n")) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 18 || fields[11] !== "i" || fields.at(-1) !== "c") continue;
    const file = (fields[8] ?? "").split("/").at(-1) ?? "";
    const name = /^\.(.+)\.[^.]+\.part$/.exec(file)?.[1] ?? file;
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return counts;
}
