import { AckPolicy, DeliverPolicy, type JetStreamClient, type JetStreamManager, type JsMsg } from "@nats-io/jetstream";
import { nanos } from "@nats-io/nats-core";

export interface ScanOptions {
  /** Only the newest message of each subject (a KV bucket's current values), every message in order, or those stored since a time. */
  deliver: "last-per-subject" | "all" | { since: Date };
  /** Messages fetched ahead of the reader: what a scan holds in memory at most. */
  batch: number;
  /** A scan that receives nothing for this long fails (a stream purged under a reader, a lost server). */
  idleMs?: number;
}

/**
 * Reads the messages of a stream under one subject filter, in stream order,
 * with an ephemeral pull consumer, and ends when the last one present at the
 * start has been read. Pulling (rather than kv.keys()/watch(), which push
 * everything at once) is what keeps a folder of 100,000 entries, or a 1 GiB
 * object, in bounded memory: at most `batch` messages are ahead of the reader.
 * A single filter subject works on nats-server 2.9.
 */
/** How long a scan waits for its next message before it asks the consumer whether any is left. */
const QUIET_CHECK_MS = 2_000;

export async function* scanSubjects(js: JetStreamClient, jsm: JetStreamManager, stream: string, filter: string, { deliver, batch, idleMs = 30_000 }: ScanOptions): AsyncGenerator<JsMsg> {
  const info = await jsm.consumers.add(stream, {
    ack_policy: AckPolicy.None,
    ...(deliver === "all"
      ? { deliver_policy: DeliverPolicy.All }
      : deliver === "last-per-subject"
        ? { deliver_policy: DeliverPolicy.LastPerSubject }
        : { deliver_policy: DeliverPolicy.StartTime, opt_start_time: deliver.since.toISOString() }),
    filter_subject: filter,
    inactive_threshold: nanos(60_000),
    mem_storage: true,
  });
  try {
    if (info.num_pending === 0) return;
    const consumer = await js.consumers.get(stream, info.name);
    const messages = await consumer.consume({ max_messages: batch, idle_heartbeat: Math.min(idleMs, 5_000) });
    const iterator = messages[Symbol.asyncIterator]();
    try {
      let pending = iterator.next();
      let quietSince = Date.now();
      for (;;) {
        let timer: NodeJS.Timeout | undefined;
        const quiet = new Promise<"quiet">((resolve) => {
          timer = setTimeout(() => resolve("quiet"), Math.min(idleMs, QUIET_CHECK_MS));
        });
        const next = await Promise.race([pending, quiet]).finally(() => clearTimeout(timer));
        if (next === "quiet") {
          // A message counted as pending when the scan began can be gone before it is delivered (another
          // instance removed the key, with its marker): then the count never reaches 0 here. The consumer
          // knows: nothing left for it means the scan is done.
          const left = await jsm.consumers.info(stream, info.name).then((current) => current.num_pending, () => undefined);
          if (left === 0) return;
          if (Date.now() - quietSince >= idleMs) throw new Error(`no message from ${stream} for ${idleMs} ms`);
          continue;
        }
        if (next.done) throw new Error(`the scan of ${stream} ended early`);
        quietSince = Date.now();
        pending = iterator.next();
        yield next.value;
        if (next.value.info.pending === 0) return;
      }
    } finally {
      messages.stop();
    }
  } finally {
    await jsm.consumers.delete(stream, info.name).catch(() => undefined);
  }
}
