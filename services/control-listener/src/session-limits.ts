import type { KV } from "@nats-io/kv";
import { isRevisionConflict, type NatsConnection, openBucket } from "@wharf/bus";
import { buckets, SessionCountRecord } from "@wharf/contracts";
import type { Logger } from "@wharf/telemetry";

/** Gives back a session claim, resolving once that is written; calling it again does nothing. */
export type Release = () => Promise<void>;

export interface SessionLimits {
  /**
   * Takes one session for `key` when every listener together holds fewer than
   * `limit` for it; resolves with its release, or undefined when the limit is
   * reached. Without the bus, this listener's own count decides.
   */
  claim(key: string, limit: number): Promise<Release | undefined>;
  /** Stops renewing; this listener's entries are removed (best effort), so its sessions stop counting at once. */
  stop(): Promise<void>;
}

export interface SessionLimitsOptions {
  /** This listener's name in the entries (unique per process). */
  holderId: string;
  /** How long an entry counts without renewal; renewed every third of it. */
  leaseMs?: number;
  log: Logger;
  /** Counts a claim decided without the bus. */
  onFallback?: () => void;
  now?: () => number;
}

const WRITE_TRIES = 20;

/**
 * The `wharf_sessions` bucket. Reads go to the stream's leader (no direct gets): a follower could answer from
 * behind, and every write made from such a read would be refused as a conflict until it caught up.
 */
export function openSessionCounts(nc: NatsConnection, { replicas = 1 }: { replicas?: number } = {}): Promise<KV> {
  return openBucket(nc, buckets.sessions, { replicas });
}

/**
 * Sessions per source address and per user across every listener instance,
 * kept in the `wharf_sessions` bucket: each key holds, per listener, its count
 * and a lease. A claim reads the key, adds the other listeners' live counts to
 * its own, and writes its new count with the revision it read (compare and
 * set), so two listeners claiming the last place at once cannot both get it.
 * A listener that dies stops counting when its lease ends; a listener renews
 * its leases while it holds sessions. Claims for one key are made one at a time
 * within a listener, so its own count is exact.
 */
export function createSessionLimits(kv: KV | undefined, { holderId, leaseMs = 30_000, log, onFallback, now = Date.now }: SessionLimitsOptions): SessionLimits {
  const held = new Map<string, number>();
  /** Keys whose last write failed: written again at the next renewal (a release must not leave a count behind). */
  const unsynced = new Set<string>();
  const queues = new Map<string, Promise<unknown>>();
  const serial = <T>(key: string, task: () => Promise<T>): Promise<T> => {
    const run = (queues.get(key) ?? Promise.resolve()).then(task, task);
    const settled = run.catch(() => undefined);
    queues.set(key, settled);
    void settled.then(() => {
      if (queues.get(key) === settled) queues.delete(key);
    });
    return run;
  };

  /** Writes this listener's count for `key`; with `admit`, only if it says yes to the other listeners' live total. */
  const writeOwn = async (store: KV, key: string, count: number, admit?: (others: number) => boolean): Promise<boolean> => {
    for (let attempt = 0; attempt < WRITE_TRIES; attempt++) {
      const entry = await store.get(key);
      const current = entry?.operation === "PUT" ? SessionCountRecord.safeParse(safeJson(entry.string())).data : undefined;
      const at = now();
      const others = Object.entries(current?.holders ?? {}).filter(([id, holder]) => id !== holderId && holder.leaseUntil > at);
      if (admit && !admit(others.reduce((sum, [, holder]) => sum + holder.count, 0))) return false;
      const holders = Object.fromEntries(others);
      if (count > 0) holders[holderId] = { count, leaseUntil: at + leaseMs };
      const body = JSON.stringify({ holders });
      try {
        if (entry) await store.update(key, body, entry.revision);
        else await store.create(key, body);
        return true;
      } catch (error) {
        // Someone wrote in between (wrong last sequence, or the key now exists): read again.
        if (!isRevisionConflict(error)) throw error;
      }
    }
    throw new Error(`session count ${key}: ${WRITE_TRIES} conflicting writes in a row`);
  };

  const sync = async (key: string) => {
    if (!kv) return;
    try {
      await writeOwn(kv, key, held.get(key) ?? 0);
      unsynced.delete(key);
    } catch (error) {
      unsynced.add(key);
      log.warn({ err: error, key }, "could not record a session count; retried at the next renewal");
    }
  };

  const release = (key: string) =>
    serial(key, async () => {
      const left = (held.get(key) ?? 1) - 1;
      if (left > 0) held.set(key, left);
      else held.delete(key);
      await sync(key);
    });

  const renewer = setInterval(() => {
    for (const key of new Set([...held.keys(), ...unsynced])) void serial(key, () => sync(key));
  }, Math.max(1_000, Math.floor(leaseMs / 3)));
  renewer.unref();

  return {
    claim: (key, limit) =>
      serial(key, async () => {
        const mine = held.get(key) ?? 0;
        if (mine >= limit) return undefined;
        if (kv) {
          try {
            if (!(await writeOwn(kv, key, mine + 1, (others) => others + mine < limit))) return undefined;
            unsynced.delete(key);
          } catch (error) {
            // The bus is away (a NATS node restarting): this listener's own count decides until it is back.
            onFallback?.();
            unsynced.add(key);
            log.warn({ err: error, key }, "session limit checked on this listener alone: the bus did not answer");
          }
        }
        held.set(key, mine + 1);
        let released: Promise<void> | undefined;
        return () => {
          released ??= release(key);
          return released;
        };
      }),
    stop: async () => {
      clearInterval(renewer);
      const keys = [...held.keys()];
      held.clear();
      await Promise.all(keys.map((key) => serial(key, () => sync(key))));
    },
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
