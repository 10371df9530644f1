import { createHash, type Hash } from "node:crypto";
import type { Readable } from "node:stream";
import { type storage, WharfError } from "@wharf/contracts";
import { type FileStore, type Location, type PendingCommit, readPrefix, type TempUpload } from "./file-store.js";
import { passesQuota, type UsageLedger } from "./usage.js";

/** Bytes gathered before one writev to the temp file... */
const WRITE_BATCH_BYTES = 1024 * 1024;
/** ...or this many chunks, so a client sending tiny segments cannot pile up objects. */
const WRITE_BATCH_BUFFERS = 1024;

export interface CommittedUpload {
  size: number;
  sha256: string;
}

/**
 * One upload in progress: bytes go to the backend's temp while SHA-256 and
 * size are computed on the way. Nothing is visible until commit() made the
 * temp durable and put it in place; abort() leaves no trace.
 */
export class Upload {
  readonly location: Location;
  readonly header: storage.WriteHeader;
  private readonly hash: Hash = createHash("sha256");
  private size = 0;
  private finished = false;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;

  private constructor(
    private readonly store: FileStore,
    header: storage.WriteHeader,
    location: Location,
    private readonly temp: TempUpload,
    /** How many bytes of the current version the new one starts with (resume, append). */
    private readonly keep: number,
    /** The version this upload replaces, if any: its size (for the usage ledger). */
    readonly replacedSize: number | undefined,
    /** The most bytes the new version may have under the root's quota. */
    private readonly room: number,
    /**
     * The first `keep` bytes' source (a kept partial of this name, or the current version), opened
     * when the upload opened: a partial or version replaced meanwhile cannot be mixed into this one.
     */
    private readonly keptFrom: Readable | undefined,
  ) {
    this.header = header;
    this.location = location;
  }

  /** Checks the target (inside the root, parent is a folder, not itself a folder) before any byte is taken. */
  static async open(store: FileStore, header: storage.WriteHeader | undefined, usage: UsageLedger): Promise<Upload> {
    if (!header?.location) throw new WharfError("WHARF_INVALID_ARGUMENT", "an upload starts with its header");
    const location = { root: header.location.root, path: header.location.path };
    const { partials } = store;
    const { existingSize } = await store.prepareUpload(location, { noOverwrite: header.noOverwrite });
    // REST n + STOR and APPE continue the latest cut upload of this name when one is kept, else the
    // current version.
    const partial = header.offset > 0 || header.append ? await partials.find(location.root, location.path) : undefined;
    const base = partial?.size ?? existingSize ?? 0;
    const keep = header.append ? base : header.offset;
    if (keep > base) throw new WharfError("WHARF_INVALID_ARGUMENT", "the resume offset is beyond the end of the file");
    let room = Number.POSITIVE_INFINITY;
    if (header.quotaBytes > 0 || header.quotaFiles > 0) {
      // A quota is checked before the first byte (a new file past the file count), during the
      // transfer (past the bytes), and again, exactly, when the commit is recorded in the ledger.
      const used = await usage.of(location.root);
      if (existingSize === undefined && passesQuota(used, { bytes: 0, files: 1 }, { files: header.quotaFiles })) {
        throw new WharfError("WHARF_QUOTA_EXCEEDED", "the root holds as many files as its quota allows");
      }
      // Kept partials count too (else a user could park a quota's worth per name until they expire),
      // except the one this upload continues: its bytes become part of the new version.
      const parked = (await partials.bytesOf(location.root)) - (partial?.size ?? 0);
      if (header.quotaBytes > 0) room = header.quotaBytes - used.bytes - parked + (existingSize ?? 0);
    }
    const keptFrom = keep > 0 ? await (partial ? partial.open() : store.openRead(location, 0)) : undefined;
    const temp = await store.createTemp(header.uploadId, location).catch((error: unknown) => {
      keptFrom?.destroy();
      throw error;
    });
    return new Upload(store, header, location, temp, keep, existingSize, room, keptFrom);
  }

  /**
   * Resume and append start from the current version's first bytes, copied
   * (and hashed) into the new one. Called after the caller was told the upload
   * is accepted, so a long copy does not hold up its answer; a file that
   * shrank meanwhile fails the upload rather than leave a hole.
   */
  async copyKeptPart(): Promise<void> {
    if (!this.keptFrom) return;
    await readPrefix(this.keptFrom, this.keep, (chunk) => this.append(chunk));
    if (this.size !== this.keep) throw new WharfError("WHARF_INVALID_ARGUMENT", "the file changed while the upload resumed; resume again");
  }

  get bytes(): number {
    return this.size;
  }

  /**
   * Takes the next bytes. They are hashed at once and written in batches of up
   * to WRITE_BATCH_BYTES with one writev, because one write per 16 KiB TLS
   * record costs a thread-pool round trip each; the returned promise waits only
   * when a batch is written, which is how a slow disk slows the sender down.
   */
  async append(chunk: Uint8Array): Promise<void> {
    if (this.size + chunk.byteLength > this.room) throw new WharfError("WHARF_QUOTA_EXCEEDED", "the upload would pass the quota");
    this.hash.update(chunk);
    this.size += chunk.byteLength;
    this.pending.push(chunk);
    this.pendingBytes += chunk.byteLength;
    if (this.pendingBytes >= WRITE_BATCH_BYTES || this.pending.length >= WRITE_BATCH_BUFFERS) await this.flush();
  }

  /** Writes the batched bytes. */
  private async flush(): Promise<void> {
    if (this.pendingBytes === 0) return;
    const buffers = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    await this.temp.write(buffers);
  }

  /**
   * Makes the temp durable, checks that the store holds exactly the bytes that
   * were hashed, and puts it in place. The returned commit is undone by rollback()
   * (the previous version comes back) until confirm() is called.
   */
  async commit<T>(
    describe: (upload: CommittedUpload) => T,
    beforePlace?: (replacedSize: number | undefined) => Promise<void>,
  ): Promise<CommittedUpload & { pending: PendingCommit; record: T }> {
    this.finished = true;
    try {
      await this.flush();
      const { size } = await this.temp.finish();
      if (size !== this.size) throw new WharfError("WHARF_INTERNAL", "stored size differs from received size");
      const result = { size: this.size, sha256: this.hash.digest("hex") };
      // The record (the event) is journaled before the file is put in place: a crash after that is finished at the next start.
      const record = describe(result);
      // Someone else may have stored the name meanwhile; a user without overwrite must not replace it (checked atomically).
      const pending = await this.store.commitUpload(this.temp, this.location, { noOverwrite: this.header.noOverwrite, record, beforePlace });
      return { ...result, pending, record };
    } catch (error) {
      await this.temp.discard();
      throw error;
    }
  }

  /**
   * Ends a cut upload by keeping what arrived (synced) as the partial of its
   * name, for a resume; with nothing received, or partials off, like abort().
   */
  async keepAsPartial(): Promise<void> {
    if (this.finished) return;
    const { partials } = this.store;
    if (!partials.enabled || this.size === 0) return this.abort();
    this.keptFrom?.destroy();
    this.finished = true;
    try {
      await this.flush();
      await partials.keep(this.temp, this.location.root, this.location.path, this.size);
    } catch {
      await this.temp.discard();
    }
  }

  async abort(): Promise<void> {
    this.keptFrom?.destroy();
    if (this.finished) return;
    this.finished = true;
    await this.temp.discard();
  }
}
