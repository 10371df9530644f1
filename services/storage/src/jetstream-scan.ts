import type { JetStreamClient, JetStreamManager } from "@nats-io/jetstream";
import { scanSubjects } from "@wharf/bus";

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
