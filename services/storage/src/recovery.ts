import { type NatsConnection, publishEvent } from "@wharf/bus";
import { FileStoredEvent, subjects } from "@wharf/contracts";
import type { Logger } from "@wharf/telemetry";
import { type FileMetadataStore, recordCommit } from "./file-metadata.js";
import type { FileStore } from "./file-store.js";
import type { StorageMetrics } from "./metrics.js";

export interface RecoveryDeps {
  store: FileStore;
  files: FileMetadataStore;
  nc: NatsConnection;
  log: Logger;
  metrics: StorageMetrics;
}

/**
 * Finishes, at start and before any upload, what a crash interrupted (DESIGN.md
 * §4): temp files of cut uploads go, journaled commits that never reached
 * their rename are undone, and commits that did reach it are announced again.
 * The repeated publish carries the upload id as its message id, so JetStream
 * drops it if the first one had arrived (within the stream's duplicate window,
 * two minutes by default). A commit whose event cannot be published now keeps
 * its journal and is tried again every `retryMs` until it is announced (and at
 * the next start, should the process stop first); each of those passes also
 * lets a shared backend finish what a vanished instance left. stop() ends them.
 */
export async function recoverCommits({ store, files, nc, log, metrics }: RecoveryDeps, { retryMs = 30_000 } = {}): Promise<{ pending(): number; stop(): void }> {
  const recover = async (atStart: boolean) => {
    const report = await store.recover({ atStart });
    metrics.recoveryActions.inc({ action: "removed_temp" }, report.removedTemps);
    metrics.recoveryActions.inc({ action: "undone" }, report.undone);
    return report;
  };
  const report = await recover(true);
  let pending = report.committed;
  /** Announces what it can; resolves with the commits still to announce. */
  const announce = async (commits: typeof pending) => {
    const left: typeof pending = [];
    for (const commit of commits) {
      const event = FileStoredEvent.safeParse(commit.record);
      if (!event.success) {
        log.error({ record: commit.record }, "a journaled commit has no readable event; its journal is kept for an operator");
        continue;
      }
      try {
        // The version the commit put in place (not whatever the name holds now: it may have changed since).
        const identity = commit.identity ?? (await store.identity({ root: event.data.root, path: event.data.path }).catch(() => undefined));
        if (identity) await recordCommit(files, event.data, identity).catch((error: unknown) => log.warn({ err: String(error) }, "file metadata not recorded"));
        await publishEvent(nc, subjects.fileStored, event.data, { msgId: event.data.uploadId });
        await commit.done();
        metrics.recoveryActions.inc({ action: "republished" });
        log.info({ uploadId: event.data.uploadId, root: event.data.root, path: event.data.path, sha256: event.data.sha256 }, "commit finished after a crash: event published");
      } catch (error) {
        log.error({ err: String(error), uploadId: event.data.uploadId }, "commit found after a crash could not be announced yet; trying again");
        left.push(commit);
      }
    }
    return left;
  };
  pending = await announce(pending);
  if (report.removedTemps + report.undone + report.committed.length > 0) {
    log.warn({ removedTemps: report.removedTemps, undone: report.undone, republished: report.committed.length - pending.length, pending: pending.length }, "recovered from an unclean stop");
  }
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const again = async () => {
    // A backend shared by several instances may hold what another instance left when it stopped for good.
    try {
      const found = await recover(false);
      const known = new Set(pending.map((commit) => JSON.stringify(commit.record)));
      pending.push(...found.committed.filter((commit) => !known.has(JSON.stringify(commit.record))));
      if (found.removedTemps + found.undone + found.committed.length > 0) {
        log.warn({ removedTemps: found.removedTemps, undone: found.undone, committed: found.committed.length }, "finished what a stopped storage instance left behind");
      }
    } catch (error) {
      log.warn({ err: String(error) }, "recovery pass failed; trying again later");
    }
    pending = await announce(pending);
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => void again().finally(schedule), retryMs);
    timer.unref();
  };
  schedule();
  return {
    pending: () => pending.length,
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
