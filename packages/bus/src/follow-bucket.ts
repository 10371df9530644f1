import type { KV, KvEntry } from "@nats-io/kv";

export interface FollowedBucket {
  stop(): void;
}

/**
 * Keeps a reader up to date with every key of a KV bucket: each current value
 * is applied before this resolves, then every change as it comes. A removed
 * key, and a value `decode` cannot read (not JSON, wrong shape), arrive as
 * undefined, so one bad entry never stops the watch. Each change carries its
 * revision: a reader keeps the highest, since a watch may bring an older write
 * after a newer one the reader made itself. Should the watch end, it starts
 * again and reads every value again.
 */
export async function followBucket<T>(
  kv: KV,
  decode: (json: unknown) => T | undefined,
  apply: (key: string, value: T | undefined, revision: number) => void,
): Promise<FollowedBucket> {
  let stopped = false;
  const read = (entry: KvEntry) => {
    if (entry.operation !== "PUT") return undefined;
    try {
      return decode(entry.json());
    } catch {
      return undefined;
    }
  };
  const start = async () => {
    // Changes first, then the current values: nothing written in between is missed (revisions sort them out).
    const watch = await kv.watch({ include: "updates" });
    for await (const key of await kv.keys()) {
      const entry = await kv.get(key);
      if (entry) apply(entry.key, read(entry), entry.revision);
    }
    return watch;
  };
  let watch = await start();
  void (async () => {
    while (!stopped) {
      try {
        for await (const entry of watch) apply(entry.key, read(entry), entry.revision);
      } catch {
        // Ended by an error: start again below.
      }
      if (stopped) return;
      watch = await start().catch(async () => {
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        return watch;
      });
    }
  })();
  return {
    stop: () => {
      stopped = true;
      watch.stop();
    },
  };
}
