import { createHash } from "node:crypto";
import { JetStreamApiCodes, JetStreamApiError } from "@nats-io/jetstream";
import { type ConfigActor, type ConfigChangedEvent, eventTypes } from "@wharf/contracts";

/** The part of a KV bucket an audited write uses (a real KV, or a fake in unit tests). */
export interface ConfigBucket {
  get(key: string): Promise<{ value: Uint8Array; revision: number; operation: "PUT" | "DEL" | "PURGE" } | null>;
  put(key: string, value: string, options: { previousSeq: number }): Promise<number>;
  delete(key: string, options: { previousSeq: number }): Promise<void>;
}

/** Who is changing the configuration with which command, and how its events get to the stream. */
export interface ConfigAudit {
  readonly actor: ConfigActor;
  /** The CLI command, e.g. "users set". */
  readonly command: string;
  /** Resolves once events can be published (the events stream exists); awaited before every write. */
  ready(): Promise<void>;
  /** Publishes an event and resolves once the stream acknowledged it; a repeated msgId is stored once. */
  publish(event: ConfigChangedEvent, msgId: string): Promise<void>;
  now(): Date;
}

/**
 * An audited write that failed: the command reports it and exits non-zero.
 * `changeStands`: the change was made, but its audit event could not be
 * published (see writeAudited); false: nothing was changed.
 */
export class AuditedWriteError extends Error {
  override name = "AuditedWriteError";
  constructor(
    message: string,
    readonly changeStands: boolean,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Lowercase hex SHA-256 of stored bytes, as the events carry it. */
export const digestOf = (bytes: Uint8Array | string): string => createHash("sha256").update(bytes).digest("hex");

/** Tries of a write whose bucket changed between the read and the write (another writer, or a follower that was behind). */
const WRITE_TRIES = 5;
/** Tries of an event publish; the same message id each time, so a publish that did land is not stored twice. */
const PUBLISH_TRIES = 3;

const isWrongLastSequence = (error: unknown) =>
  error instanceof JetStreamApiError && (error.code === JetStreamApiCodes.StreamWrongLastSequence || error.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Every change the CLI makes to a configuration bucket goes through here.
 * `value` undefined deletes the key. Resolves with the event published, or
 * undefined when there was nothing to delete.
 *
 * Order: (1) the events stream must be there (`audit.ready`), else nothing is
 * written; (2) the old entry is read; (3) the new value is written with
 * compare-and-set against that entry's revision, so the old digest is that of
 * the value really replaced (a concurrent change makes it read and write
 * again); (4) the event is published and acknowledged by JetStream; only then
 * does this resolve and the command report the change.
 *
 * Failure: when (4) fails, AuditedWriteError (changeStands) says which change stands
 * without its event. It is not undone: undoing is another write that could
 * fail the same way or overwrite a newer change. A process that dies between
 * (3) and (4) leaves a change without an event, which nobody is told about;
 * the bucket's own history still has the value and its time, not who made it.
 * We chose this over publishing an "intent" event before the write, which
 * would record changes that never happened whenever the write fails instead.
 */
export async function writeAudited(
  audit: ConfigAudit,
  kv: ConfigBucket,
  bucket: string,
  key: string,
  value: string | undefined,
  { ifRevision }: { ifRevision?: number } = {},
): Promise<ConfigChangedEvent | undefined> {
  await audit.ready();
  for (let attempt = 1; ; attempt++) {
    const old = await kv.get(key);
    const previous = old?.operation === "PUT" ? old : undefined;
    if (value === undefined && !previous) return undefined;
    // A value made from an earlier read (secrets rotate) is written over that revision only: the caller reads again.
    const previousSeq = ifRevision ?? old?.revision ?? 0;
    let revision: number | undefined;
    try {
      if (value === undefined) {
        await kv.delete(key, { previousSeq });
        // KV deletes do not return the marker's revision: read it back (a newer write, or a follower behind, hides it).
        const marker = await kv.get(key).catch(() => null);
        revision = marker && marker.operation !== "PUT" && marker.revision > previousSeq ? marker.revision : undefined;
      } else {
        revision = await kv.put(key, value, { previousSeq });
      }
    } catch (error) {
      if (!isWrongLastSequence(error) || ifRevision !== undefined) throw error;
      if (attempt >= WRITE_TRIES) throw new AuditedWriteError(`${bucket} ${key} changed ${WRITE_TRIES} times while this command tried to write it, so it was not changed; run the command again`, false, { cause: error });
      await sleep(50 * attempt);
      continue;
    }
    const event: ConfigChangedEvent = {
      type: eventTypes.configChanged,
      actor: audit.actor,
      command: audit.command,
      bucket,
      key,
      operation: value === undefined ? "delete" : previous ? "update" : "create",
      ...(previous ? { oldDigest: digestOf(previous.value) } : {}),
      ...(value !== undefined ? { newDigest: digestOf(value) } : {}),
      ...(revision !== undefined ? { revision } : {}),
      at: audit.now().toISOString(),
    };
    // Compare-and-set lets one write follow a given revision, so bucket, key and that revision name this change.
    await publishAudited(audit, event, `${bucket}:${key}:${revision ?? `after-${previousSeq}`}`);
    return event;
  }
}

/** `wharf dlq replay`: a dead letter given another set of tries, after the replay. Throws as writeAudited does when its event cannot be published. */
export async function auditReplay(audit: ConfigAudit, stream: string, seq: number): Promise<ConfigChangedEvent> {
  const event: ConfigChangedEvent = { type: eventTypes.configChanged, actor: audit.actor, command: audit.command, bucket: stream, key: String(seq), operation: "replay", at: audit.now().toISOString() };
  // A dead letter is removed when it is replayed, and its sequence number is never used again in its stream.
  await publishAudited(audit, event, `${stream}:${seq}:replay`);
  return event;
}

async function publishAudited(audit: ConfigAudit, event: ConfigChangedEvent, msgId: string): Promise<void> {
  let failure: unknown;
  for (let attempt = 1; attempt <= PUBLISH_TRIES; attempt++) {
    try {
      await audit.publish(event, msgId);
      return;
    } catch (error) {
      failure = error;
      if (attempt < PUBLISH_TRIES) await sleep(200 * attempt);
    }
  }
  const done = { create: "created", update: "updated", delete: "deleted", replay: "replayed" }[event.operation];
  const what = event.operation === "replay" ? `dead letter ${event.key} (${event.bucket}) was replayed` : `${event.bucket} ${event.key} was ${done}${event.revision ? ` (revision ${event.revision})` : ""}`;
  const reason = failure instanceof Error ? failure.message : String(failure);
  throw new AuditedWriteError(`${what}, but its audit event could not be published (${reason}): the change stands without an audit record; the command stopped there`, true, { cause: failure });
}
