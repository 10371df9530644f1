import { createHash, type Hash } from "node:crypto";
import type { FileHandle } from "node:fs/promises";
import { open, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { type storage, WharfError } from "@wharf/contracts";
import { discardTemp, type FileStore, type Location, type PendingCommit } from "./file-store.js";
import { fromFsError } from "./fs-errors.js";
import type { PartialUploads } from "./partials.js";
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
 * One upload in progress: bytes go to a temp file while SHA-256 and size are
 * computed on the way. Nothing is visible until commit() synced the file,
 * renamed it into place and synced the folder; abort() leaves no trace.
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
    private readonly tempPath: string,
    private readonly file: FileHandle,
    /** The resolved disk path the upload goes to. */
    private readonly target: string,
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
    private readonly keptFrom: FileHandle | undefined,
  ) {
    this.header = header;
    this.location = location;
  }

  /** Checks the target (inside the root, parent is a folder, not itself a folder) before any byte is taken. */
  static async open(store: FileStore, header: storage.WriteHeader | undefined, usage: UsageLedger, partials: PartialUploads): Promise<Upload> {
    if (!header?.location) throw new WharfError("WHARF_INVALID_ARGUMENT", "an upload starts with its header");
    const location = { root: header.location.root, path: header.location.path };
    const tempPath = store.uploadTempPath(header.uploadId);
    try {
      const target = await store.resolve(location);
      const parent = await stat(dirname(target));
      if (!parent.isDirectory()) throw new WharfError("WHARF_NOT_A_DIRECTORY", "not a folder");
      const existing = await stat(target).catch(() => undefined);
      if (existing?.isDirectory()) throw new WharfError("WHARF_IS_A_DIRECTORY", "is a folder");
      if (existing && header.noOverwrite) throw new WharfError("WHARF_ALREADY_EXISTS", "the file exists and may not be overwritten");
      // REST n + STOR and APPE continue the latest cut upload of this name when one is kept, else the
      // current version.
      const partial = header.offset > 0 || header.append ? await partials.find(location.root, location.path) : undefined;
      const base = partial?.size ?? existing?.size ?? 0;
      const keep = header.append ? base : header.offset;
      if (keep > base) throw new WharfError("WHARF_INVALID_ARGUMENT", "the resume offset is beyond the end of the file");
      let room = Number.POSITIVE_INFINITY;
      if (header.quotaBytes > 0 || header.quotaFiles > 0) {
        // A quota is checked before the first byte (a new file past the file count), during the
        // transfer (past the bytes), and again, exactly, when the commit is recorded in the ledger.
        const used = await usage.of(location.root);
        if (!existing && passesQuota(used, { bytes: 0, files: 1 }, { files: header.quotaFiles })) {
          throw new WharfError("WHARF_QUOTA_EXCEEDED", "the root holds as many files as its quota allows");
        }
        // Kept partials count too (else a user could park a quota's worth per name until they expire),
        // except the one this upload continues: its bytes become part of the new version.
        const parked = (await partials.bytesOf(location.root)) - (partial?.size ?? 0);
        if (header.quotaBytes > 0) room = header.quotaBytes - used.bytes - parked + (existing?.size ?? 0);
      }
      const keptFrom = keep > 0 ? await open(partial?.file ?? target, "r") : undefined;
      const file = await open(tempPath, "wx", 0o640).catch(async (error: unknown) => {
        await keptFrom?.close();
        throw error;
      });
      return new Upload(store, header, location, tempPath, file, target, keep, existing?.size, room, keptFrom);
    } catch (error) {
      throw fromFsError(error);
    }
  }

  /**
   * Resume and append start from the current version's first bytes, copied
   * (and hashed) into the new one. Called after the caller was told the upload
   * is accepted, so a long copy does not hold up its answer; a file that
   * shrank meanwhile fails the upload rather than leave a hole.
   */
  async copyKeptPart(): Promise<void> {
    if (!this.keptFrom) return;
    try {
      for await (const chunk of this.keptFrom.createReadStream({ start: 0, end: this.keep - 1, autoClose: false })) await this.append(chunk as Buffer);
    } catch (error) {
      throw fromFsError(error);
    } finally {
      await this.keptFrom.close().catch(() => undefined);
    }
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

  /** Writes the batched bytes; a short write (a full disk, a file-size limit) writes the rest, or fails. */
  private async flush(): Promise<void> {
    const buffers = this.pending;
    let left = this.pendingBytes;
    this.pending = [];
    this.pendingBytes = 0;
    try {
      let { bytesWritten } = await this.file.writev(buffers);
      left -= bytesWritten;
      if (left === 0) return;
      const rest = Buffer.concat(buffers).subarray(-left);
      for (let offset = 0; offset < rest.byteLength; offset += bytesWritten) {
        ({ bytesWritten } = await this.file.write(rest, offset, rest.byteLength - offset));
        if (bytesWritten <= 0) throw Object.assign(new Error("short write"), { code: "ENOSPC" });
      }
    } catch (error) {
      throw fromFsError(error);
    }
  }

  /**
   * Syncs the temp file, checks that the disk holds exactly the bytes that were
   * hashed, and puts it in place. The returned commit is undone by rollback()
   * (the previous version comes back) until confirm() is called.
   */
  async commit<T>(
    describe: (upload: CommittedUpload) => T,
    beforePlace?: (replacedSize: number | undefined) => Promise<void>,
  ): Promise<CommittedUpload & { pending: PendingCommit; record: T; disk: { ino: number; size: number; mtimeMs: number } }> {
    this.finished = true;
    try {
      await this.flush();
      await this.file.sync();
      // The new version's identity on disk, from the file itself (a rename or link keeps inode and mtime).
      const { size, ino, dev, mtimeMs } = await this.file.stat();
      await this.file.close();
      if (size !== this.size) throw new WharfError("WHARF_INTERNAL", "stored size differs from received size");
      const result = { size: this.size, sha256: this.hash.digest("hex") };
      // The record (the event) is journaled before the file is put in place: a crash after that is finished at the next start.
      const record = describe(result);
      // Someone else may have stored the name meanwhile; a user without overwrite must not replace it (checked atomically).
      const pending = await this.store.commitUpload(this.tempPath, this.target, { noOverwrite: this.header.noOverwrite, record, identity: { ino, dev }, beforePlace });
      return { ...result, pending, record, disk: { ino, size, mtimeMs } };
    } catch (error) {
      await this.file.close().catch(() => undefined);
      await discardTemp(this.tempPath);
      throw fromFsError(error);
    }
  }

  /**
   * Ends a cut upload by keeping what arrived (synced) as the partial of its
   * name, for a resume; with nothing received, or partials off, like abort().
   */
  async keepAsPartial(partials: PartialUploads): Promise<void> {
    if (this.finished) return;
    if (!partials.enabled || this.size === 0) return this.abort();
    this.finished = true;
    try {
      await this.flush();
      await this.file.sync();
      await this.file.close();
      await partials.keep(this.tempPath, this.location.root, this.location.path, this.size);
    } catch {
      await this.file.close().catch(() => undefined);
      await discardTemp(this.tempPath);
    }
  }

  async abort(): Promise<void> {
    await this.keptFrom?.close().catch(() => undefined);
    if (this.finished) return;
    this.finished = true;
    await this.file.close().catch(() => undefined);
    await discardTemp(this.tempPath);
  }
}
