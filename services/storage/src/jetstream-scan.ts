import { AckPolicy, DeliverPolicy, type JetStreamClient, type JetStreamManager, type JsMsg } from "@nats-io/jetstream";
import { nanos } from "@nats-io/nats-core";

export interface ScanOptions {
  /** Only the newest message of each subject (a KV bucket's current values), or every message in order. */
  deliver: "last-per-subject" | "all";
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
export async function* scanSubjects(js: JetStreamClient, jsm: JetStreamManager, stream: string, filter: string, { deliver, batch, idleMs = 30_000 }: ScanOptions): AsyncGenerator<JsMsg> {
  const info = await jsm.consumers.add(stream, {
    ack_policy: AckPolicy.None,
    deliver_policy: deliver === "all" ? DeliverPolicy.All : DeliverPolicy.LastPerSubject,
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
      for (;;) {
        let timer: NodeJS.Timeout | undefined;
        const idle = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no message from ${stream} for ${idleMs} ms`)), idleMs);
        });
        const next = await Promise.race([iterator.next(), idle]).finally(() => clearTimeout(timer));
        if (next.done) throw new Error(`the scan of ${stream} ended early`);
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

/** The current values of a KV bucket's keys under a key filter (`a.*`, `a.>`), deleted keys skipped, read as scanSubjects() reads. */
export async function* scanKeyValues(js: JetStreamClient, jsm: JetStreamManager, bucket: string, filter: string): AsyncGenerator<{ key: string; value: Uint8Array; revision: number }> {
  const prefix = `$KV.${bucket}.`;
  for await (const message of scanSubjects(js, jsm, `KV_${bucket}`, `${prefix}${filter}`, { deliver: "last-per-subject", batch: 512 })) {
    const operation = message.headers?.get("KV-Operation");
    if (operation === "DEL" || operation === "PURGE") continue;
    yield { key: message.subject.slice(prefix.length), value: message.data, revision: message.seq };
  }
}

/**
 * Removes a deleted key's marker from its KV bucket's stream, keeping any
 * value written after it. JetStream keeps one delete marker per key for good
 * (history 1 keeps the marker), and every scan of a folder or of the state
 * bucket reads past them: without this, a bucket grows by a marker for every
 * upload and every removed name, and so does every recovery pass.
 */
export async function dropDeleteMarker(jsm: JetStreamManager, bucket: string, key: string): Promise<void> {
  const stream = `KV_${bucket}`;
  const subject = `$KV.${bucket}.${key}`;
  const last = await jsm.streams.getMessage(stream, { last_by_subj: subject }).catch(() => null);
  const operation = last?.header?.get("KV-Operation");
  if (!last || (operation !== "DEL" && operation !== "PURGE")) return;
  // Purges what is older than seq: the marker and before, never a value written since.
  await jsm.streams.purge(stream, { filter: subject, seq: last.seq + 1 });
}
