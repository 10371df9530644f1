import { createHash, randomUUID } from "node:crypto";
import { posix } from "node:path";
import { Writable } from "node:stream";
import { type NatsConnection, openBucket } from "@wharf/bus";
import { buckets, globMatches, type PullConfig, type StorageClient, WharfError } from "@wharf/contracts";
import type { Logger } from "@wharf/telemetry";
import type { FileInfo } from "basic-ftp";
import type { OutboundSettings } from "./config-watch.js";
import { openSession } from "./ftp-push.js";
import type { SecretSource } from "./secrets.js";
import { isPlainName } from "./names.js";
import type { OutboundMetrics } from "./metrics.js";

interface Seen {
  size: number;
  modifiedAt: string;
}

interface Lease {
  owner: string;
  at: number;
}

export interface PullRunner {
  /** Runs every due pull once now (the timer calls this; tests too). */
  tick(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Runs pulls (DESIGN.md §5): each is polled every `everyMs` by one outbound
 * instance (a lease in `wharf_pull_state`, taken over when its holder stops
 * renewing it). A poll lists the partner's folder; a file matching the glob
 * that is new, or changed since it was last fetched (size or time), is
 * downloaded straight into storage, which commits it and publishes
 * file.stored. Only once it is stored is it deleted or moved at the partner,
 * or remembered as fetched.
 */
export async function startPulls({
  nc,
  log,
  settings,
  storage,
  metrics,
  instanceId = randomUUID(),
  tickMs = 1_000,
  clock = Date.now,
  replicas = 1,
  secrets,
}: {
  nc: NatsConnection;
  log: Logger;
  settings: OutboundSettings;
  storage: StorageClient;
  metrics: OutboundMetrics;
  /** The keyring and environment the endpoints' secrets are read with. */
  secrets: SecretSource;
  instanceId?: string;
  /** How often the timer looks for due pulls. */
  tickMs?: number;
  /** The time, in ms (tests drive it). */
  clock?: () => number;
  /** Copies of the pull-state bucket, when this creates it. */
  replicas?: number;
}): Promise<PullRunner> {
  const state = await openBucket(nc, buckets.pullState, { replicas });
  const lastRun = new Map<string, number>();
  /** What each pull's last poll listed, by file name: a file is settled when the next poll lists it the same. */
  const lastListed = new Map<string, Map<string, string>>();
  let running: Promise<void> | undefined;
  let stopped = false;

  /** Holds (or takes over) the pull's lease; false when another instance holds a fresh one. */
  const lease = async (pull: PullConfig): Promise<boolean> => {
    const key = `lease.${pull.name}`;
    const entry = await state.get(key);
    const current = entry?.operation === "PUT" ? entry.json<Lease>() : undefined;
    const now = clock();
    if (current && current.owner !== instanceId && now - current.at < 3 * pull.everyMs) return false;
    const body = JSON.stringify({ owner: instanceId, at: now } satisfies Lease);
    try {
      if (entry?.operation === "PUT") await state.update(key, body, entry.revision);
      else await state.create(key, body);
      return true;
    } catch {
      return false; // another instance took it in the same instant
    }
  };

  const poll = async (pull: PullConfig): Promise<void> => {
    const endpoint = settings.endpoint(pull.source.endpoint);
    if (!endpoint) throw new Error(`the pull's endpoint ${pull.source.endpoint} does not exist (yet)`);
    const { client } = await openSession(endpoint, log, secrets);
    try {
      const listing = await client.list(pull.source.folder);
      // A name from the partner's listing becomes a storage path and FTP commands: one that could leave
      // the target folder or break a command line (/, \, .., control characters) is not taken.
      const matching = listing.filter((entry: FileInfo) => entry.isFile && isPlainName(entry.name) && globMatches(pull.source.glob, entry.name));
      const listed = new Map(matching.map((entry) => [entry.name, `${entry.size} ${entry.rawModifiedAt}`]));
      const previous = lastListed.get(pull.name);
      lastListed.set(pull.name, listed);
      const files = pull.settle ? matching.filter((entry) => previous?.get(entry.name) === listed.get(entry.name)) : matching;
      // The root's top folder always exists; a folder below it is made on first use.
      if (files.length > 0 && pull.target.folder !== "/") await storage.mkdir({ root: pull.target.root, path: pull.target.folder }).catch((error: unknown) => {
        if (!(error instanceof WharfError && error.code === "WHARF_ALREADY_EXISTS")) throw error;
      });
      for (const file of files) {
        // A poll that outlasts its lease (large files) renews it, or stops if another instance took it over.
        if (stopped || !(await lease(pull).catch(() => false))) return;
        const seenKey = `seen.${pull.name}.${createHash("sha256").update(file.name).digest("hex")}`;
        const seen: Seen = { size: file.size, modifiedAt: file.rawModifiedAt };
        const before = await state.get(seenKey);
        // Fetched before and unchanged since (kept on purpose, or its delete or move failed): not again.
        if (before?.operation === "PUT" && JSON.stringify(before.json<Seen>()) === JSON.stringify(seen)) continue;
        const remote = posix.join(pull.source.folder, file.name);
        const path = posix.join(pull.target.folder, file.name);
        try {
          const stored = await fetchInto(client, remote, pull, path, file.size);
          await state.put(seenKey, JSON.stringify(seen));
          if (pull.afterFetch === "delete") await client.remove(remote);
          else if (pull.afterFetch === "move" && pull.moveTo) await client.rename(remote, posix.join(pull.moveTo, file.name));
          metrics.pulls.inc({ pull: pull.name, result: "fetched" });
          log.info({ pull: pull.name, remote, root: pull.target.root, path, size: stored.size, sha256: stored.sha256, afterFetch: pull.afterFetch }, "file pulled");
        } catch (error) {
          metrics.pulls.inc({ pull: pull.name, result: "failed" });
          log.warn({ pull: pull.name, remote, err: error instanceof Error ? error.message : String(error) }, "file not pulled; the next poll tries again");
        }
      }
    } finally {
      client.close();
    }
  };

  /** Downloads a partner's file straight into a storage upload; resolves once it is committed and announced. */
  const fetchInto = async (client: Awaited<ReturnType<typeof openSession>>["client"], remote: string, pull: PullConfig, path: string, expected: number) => {
    const upload = storage.openUpload({
      location: { root: pull.target.root, path },
      uploadId: `pull-${randomUUID().replaceAll("-", "")}`,
      user: `pull:${pull.name}`,
      sessionId: pull.name,
      portAlias: "outbound",
      offset: 0,
      append: false,
      noOverwrite: false,
      quotaBytes: 0,
      quotaFiles: 0,
    });
    try {
      await upload.ready;
      let received = 0;
      const sink = new Writable({
        write(chunk: Buffer, _encoding, done) {
          received += chunk.byteLength;
          upload.write(chunk).then(() => done(), done);
        },
      });
      await client.downloadTo(sink, remote);
      // A partner that closed the data connection early must not leave a short file stored.
      if (received !== expected) throw new Error(`received ${received} of ${expected} bytes`);
      return await upload.finish("close_notify");
    } catch (error) {
      upload.cancel();
      throw error;
    }
  };

  const tick = async () => {
    for (const pull of settings.pulls()) {
      if (stopped || !pull.enabled) continue;
      const due = (lastRun.get(pull.name) ?? 0) + pull.everyMs <= clock();
      if (!due) continue;
      lastRun.set(pull.name, clock());
      if (!(await lease(pull).catch(() => false))) continue;
      await poll(pull).catch((error: unknown) => {
        metrics.pulls.inc({ pull: pull.name, result: "poll_failed" });
        log.warn({ pull: pull.name, err: error instanceof Error ? error.message : String(error) }, "pull could not poll its partner; trying again at the next interval");
      });
    }
  };
  const timer = setInterval(() => {
    if (running) return;
    running = tick().finally(() => {
      running = undefined;
    });
  }, tickMs);
  timer.unref();
  return {
    tick: async () => {
      await running;
      await tick();
    },
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
