import { createHash, type Hash } from "node:crypto";
import { Readable } from "node:stream";
import type { JetStreamClient, JetStreamManager, PubAck } from "@nats-io/jetstream";
import { headers } from "@nats-io/nats-core";
import { scanSubjects } from "@wharf/bus";
import { WharfError } from "@wharf/contracts";
import type { TempUpload } from "./file-store.js";

/** Bytes per chunk message (the object store's default, below every server's max_payload). */
export const CHUNK_BYTES = 128 * 1024;
/** Chunks published before the first of them is acknowledged: enough to keep a loopback or LAN link busy, bounded. */
const CHUNKS_IN_FLIGHT = 16;

/** Where one object's bytes are: a JetStream object store bucket holds chunks under $O.<bucket>.C.<nuid>. */
export interface ObjectRef {
  /** The object's name in the bucket (Wharf uses the upload id). */
  name: string;
  nuid: string;
  size: number;
  chunks: number;
}

export interface ObjectBucket {
  readonly name: string;
  readonly stream: string;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
}

const chunkSubject = (bucket: ObjectBucket, nuid: string) => `$O.${bucket.name}.C.${nuid}`;
const metaSubject = (bucket: ObjectBucket, name: string) => `$O.${bucket.name}.M.${paddedBase64Url(Buffer.from(name))}`;

/** Base64url with padding: how the object store names description subjects and writes digests. */
function paddedBase64Url(bytes: Buffer): string {
  return bytes.toString("base64").replaceAll("+", "-").replaceAll("/", "_");
}

/**
 * An upload's bytes on their way into the object store: chunks are published
 * as they fill, up to CHUNKS_IN_FLIGHT unacknowledged, and finish() publishes
 * the last one and the object's description in the store's own format (so
 * `nats object ls/get` can read what Wharf stored). Until a commit names it in
 * the tree, nothing refers to the object, and recovery removes it if its
 * upload never finishes.
 */
export class ObjectWriter implements TempUpload {
  private readonly hash: Hash = createHash("sha256");
  private buffered: Buffer[] = [];
  private bufferedBytes = 0;
  private size = 0;
  private chunks = 0;
  private readonly inFlight: Array<Promise<PubAck>> = [];
  private failure: unknown;
  private done: (ObjectRef & { sha256: string }) | undefined;
  private discarded = false;
  private released = false;

  constructor(
    private readonly bucket: ObjectBucket,
    readonly name: string,
    readonly nuid: string,
    private readonly description: string,
    /** How the upload's record is kept: renewed while it runs, stopped, and forgotten once the object is someone else's or gone. */
    private readonly record: { stopRenewing(): void; forget(): Promise<void> },
  ) {}

  async write(buffers: Uint8Array[]): Promise<void> {
    if (this.done || this.discarded) throw new WharfError("WHARF_INTERNAL", "write to a finished upload");
    for (const buffer of buffers) {
      this.hash.update(buffer);
      this.size += buffer.byteLength;
      this.buffered.push(Buffer.from(buffer.buffer, buffer.byteOffset, buffer.byteLength));
      this.bufferedBytes += buffer.byteLength;
    }
    while (this.bufferedBytes >= CHUNK_BYTES) await this.publishChunk(CHUNK_BYTES);
  }

  private async publishChunk(bytes: number): Promise<void> {
    const all = this.buffered.length === 1 ? (this.buffered[0] as Buffer) : Buffer.concat(this.buffered, this.bufferedBytes);
    const chunk = Buffer.from(all.subarray(0, bytes));
    const rest = all.subarray(bytes);
    this.buffered = rest.byteLength > 0 ? [rest] : [];
    this.bufferedBytes = rest.byteLength;
    this.chunks++;
    const ack = this.bucket.js.publish(chunkSubject(this.bucket, this.nuid), chunk);
    ack.catch((error: unknown) => {
      this.failure ??= error;
    });
    this.inFlight.push(ack);
    const oldest = this.inFlight.length >= CHUNKS_IN_FLIGHT ? this.inFlight.shift() : undefined;
    await oldest?.catch((error: unknown) => {
      throw storeFailure(error);
    });
    if (this.failure) throw storeFailure(this.failure);
  }

  /** Publishes the rest and the object's description; every chunk is acknowledged (stored by JetStream) when this resolves. */
  async finish(): Promise<{ size: number }> {
    if (this.done) return { size: this.done.size };
    try {
      if (this.bufferedBytes > 0) await this.publishChunk(this.bufferedBytes);
      await Promise.all(this.inFlight.splice(0));
      const digest = this.hash.digest();
      const meta = {
        name: this.name,
        description: this.description,
        bucket: this.bucket.name,
        nuid: this.nuid,
        size: this.size,
        chunks: this.chunks,
        mtime: new Date().toISOString(),
        digest: `SHA-256=${paddedBase64Url(digest)}`,
        deleted: false,
        options: { max_chunk_size: CHUNK_BYTES },
      };
      const rollup = headers();
      rollup.set("Nats-Rollup", "sub");
      await this.bucket.js.publish(metaSubject(this.bucket, this.name), JSON.stringify(meta), { headers: rollup });
      this.done = { name: this.name, nuid: this.nuid, size: this.size, chunks: this.chunks, sha256: digest.toString("hex") };
      return { size: this.size };
    } catch (error) {
      throw storeFailure(error);
    }
  }

  /** What finish() stored, with its SHA-256 (hex). */
  get stored(): ObjectRef & { sha256: string } {
    if (!this.done) throw new WharfError("WHARF_INTERNAL", "the upload is not finished");
    return this.done;
  }

  /**
   * The object stops being this upload's: a commit's journal or a kept
   * partial answers for it now, and discard() no longer removes it.
   */
  async release(): Promise<void> {
    this.released = true;
    this.record.stopRenewing();
    await this.record.forget();
  }

  /**
   * Removes the object, unless it was released. Never throws: if the store
   * cannot be reached, the upload's record stays (no longer renewed) and
   * recovery removes the object once the record is stale.
   */
  async discard(): Promise<void> {
    if (this.discarded || this.released) return;
    this.discarded = true;
    this.record.stopRenewing();
    try {
      await Promise.allSettled(this.inFlight.splice(0));
      await removeObject(this.bucket, { name: this.name, nuid: this.nuid });
      await this.record.forget();
    } catch {
      // Left for recovery (see above).
    }
  }
}

/** Removes an object's chunks and description; missing is fine. */
export async function removeObject(bucket: ObjectBucket, { name, nuid }: { name: string; nuid: string }): Promise<void> {
  await bucket.jsm.streams.purge(bucket.stream, { filter: chunkSubject(bucket, nuid) });
  await bucket.jsm.streams.purge(bucket.stream, { filter: metaSubject(bucket, name) });
}

/** Scans of an object's chunks before a short read is an error. */
const READ_TRIES = 3;

/**
 * An object's bytes from `offset`, as a stream that reads chunks only as fast
 * as its consumer takes them. Chunks before the offset are read and skipped
 * (chunk messages are not addressable by position).
 */
export function readObject(bucket: ObjectBucket, object: ObjectRef, offset: number): Readable {
  async function* bytes(): AsyncGenerator<Buffer> {
    if (object.chunks === 0) return;
    // Bytes handed to the reader so far: a read that ends short is tried again from there.
    let sent = offset;
    for (let attempt = 1; ; attempt++) {
      let position = 0;
      let seen = 0;
      // A chunk that does not come within 10 s was purged (a file replaced or deleted longer ago than its grace period) or the server is gone.
      for await (const message of scanSubjects(bucket.js, bucket.jsm, bucket.stream, chunkSubject(bucket, object.nuid), { deliver: "all", batch: 8, idleMs: 10_000 })) {
        const data = Buffer.from(message.data);
        seen++;
        const end = position + data.byteLength;
        if (end > sent) {
          yield position >= sent ? data : data.subarray(sent - position);
          sent = end;
        }
        position = end;
        if (seen === object.chunks) break;
      }
      if (position === object.size) return;
      // A missing chunk must never pass for a short file. A scan can end short without losing anything: its
      // consumer was placed on a NATS node that had just come back and had not caught up with the stream yet
      // (seen in the fault test after a node was killed). The next scan's consumer gets another chance.
      if (attempt === READ_TRIES) throw new WharfError("WHARF_UNAVAILABLE", "the stored object is incomplete");
      await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
    }
  }
  async function* mapped(): AsyncGenerator<Buffer> {
    try {
      yield* bytes();
    } catch (error) {
      throw storeFailure(error);
    }
  }
  return Readable.from(mapped(), { objectMode: false, highWaterMark: 2 * CHUNK_BYTES });
}

function storeFailure(error: unknown): WharfError {
  if (error instanceof WharfError) return error;
  return new WharfError("WHARF_UNAVAILABLE", "the object store did not take the bytes", { cause: error });
}
