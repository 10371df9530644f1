import type { Readable } from "node:stream";
import type { storage } from "@wharf/contracts";

export interface Location {
  root: string;
  path: string;
}

export type Entry = storage.Entry;

/**
 * Which version of a file a name holds: what stored metadata describes, so a
 * file changed since (MFMT, a new upload, anything outside Wharf) is never
 * answered from a stale record. `version` is the backend's own identity of
 * the bytes (device and inode on disk, the object's id in an object store).
 */
export interface FileIdentity {
  version: string;
  size: number;
  mtimeMs: number;
}

/**
 * Where an upload's bytes go until it is committed. Never listed, never read
 * as the file: only commitUpload() makes it visible, and only keep() of the
 * partials keeps it for a resume.
 */
export interface TempUpload {
  /** Appends bytes, in order; the promise waits for the backend (that is how a slow store slows the sender). */
  write(buffers: Uint8Array[]): Promise<void>;
  /** Makes everything written durable; resolves with how many bytes the store holds. */
  finish(): Promise<{ size: number }>;
  /** Removes what was written; safe to call more than once, or after a failed finish. */
  discard(): Promise<void>;
}

/** A cut upload kept for resume. */
export interface KeptPartial {
  size: number;
  keptAt: number;
  /** Opens the kept bytes for reading, pinned to them: a partial replaced meanwhile does not change what this reads. */
  open(): Promise<Readable>;
}

export interface PartialUploads {
  /** Keeps a cut upload's temp (finishing it) as the partial of root + path, replacing an older one. */
  keep(temp: TempUpload, root: string, path: string, size: number): Promise<void>;
  /** The kept partial of root + path, unless there is none or it expired. */
  find(root: string, path: string): Promise<KeptPartial | undefined>;
  /** Forgets the partial of root + path (a completed upload supersedes it). */
  drop(root: string, path: string): Promise<void>;
  /** Bytes kept in a root's partials (they count against its quota while they are kept). */
  bytesOf(root: string): Promise<number>;
  /** Removes expired partials; resolves with how many. */
  sweep(): Promise<number>;
  /** False when partials are not kept (a TTL of 0). */
  readonly enabled: boolean;
}

/**
 * Where storage keeps partners' files: a backend. Two exist, the local
 * filesystem (filesystem-store.ts) and a NATS JetStream object store
 * (object-store.ts); both pass the same contract suite
 * (test/backend-contract.ts). Every path is a virtual path inside a root (a
 * user's home); each method confines it, and refuses `..`, NUL, over-long
 * names and (on disk) links pointing out with WHARF_INVALID_PATH or
 * WHARF_PERMISSION_DENIED.
 */
export interface FileStore {
  readonly kind: "filesystem" | "object-store";
  /** Checks that a location is a valid path inside its root (without looking at what is there). */
  confine(location: Location): Promise<void>;
  stat(location: Location): Promise<Entry>;
  /** A folder's entries, in pages of at most 500. */
  list(location: Location): AsyncGenerator<Entry[]>;
  /** The bytes of a file from `offset`, read as the consumer asks for them; pinned to the version open when it resolves. */
  openRead(location: Location, offset: number): Promise<Readable>;
  mkdir(location: Location): Promise<void>;
  /** Removes a file (or a symbolic link); resolves with what it took from the root's usage. */
  delete(location: Location): Promise<{ size: number; files: number }>;
  rmdir(location: Location): Promise<void>;
  /** Moves a file or folder; resolves with the size of the file it replaced, if it replaced one. */
  rename(from: Location, toPath: string, options?: { noOverwrite?: boolean }): Promise<{ replacedSize: number | undefined }>;
  /** Bytes and files under a root, counted from the store. */
  usage(root: string): Promise<{ bytes: number; files: number }>;
  setModifiedTime(location: Location, mtimeMs: number): Promise<void>;
  identity(location: Location): Promise<FileIdentity>;
  /** SHA-256 and size of a file, from the store. */
  checksum(location: Location): Promise<{ sha256: string; size: number }>;
  /**
   * Checks an upload's target before any byte is taken: its folder exists, it
   * is not a folder, and (with `noOverwrite`) it is free. Resolves with the
   * size of the version there now, if any.
   */
  prepareUpload(location: Location, options: { noOverwrite: boolean }): Promise<{ existingSize: number | undefined }>;
  /** Where an upload's bytes go until commit. */
  createTemp(uploadId: string, location: Location): Promise<TempUpload>;
  /**
   * Atomically makes a finished temp the file at `location`. The previous
   * version is kept until the commit is confirmed, so a commit whose event
   * cannot be published is rolled back to exactly the old state. With
   * `noOverwrite`, a taken name is refused atomically (WHARF_ALREADY_EXISTS).
   *
   * `record` (the commit's event) is journaled, durably, before the file is
   * put in place; confirm() and rollback() remove it. A journal left by a
   * crash is how recover() tells a commit that happened from one that did not.
   */
  commitUpload(
    temp: TempUpload,
    location: Location,
    options: {
      noOverwrite?: boolean;
      record: unknown;
      /** Runs under the commit's lock before anything is put in place, told the size it will replace; throwing stops the commit. */
      beforePlace?: (replacedSize: number | undefined) => Promise<void>;
    },
  ): Promise<PendingCommit>;
  /**
   * Finishes what a crash interrupted. At start (`atStart`), before any
   * upload of this instance: temps of uploads that never reached their commit
   * are removed, a commit journaled but not put in place is undone, and one
   * that was put in place is returned with its record, to be announced again
   * (then finished with `done`). Run again later (not at start), a backend
   * shared by several instances also finishes what an instance that stopped
   * for good left behind, and frees what nothing refers to any more.
   */
  recover(options: { atStart: boolean }): Promise<RecoveryReport>;
  /** Cut uploads kept for resume, in the same backend as the files. */
  readonly partials: PartialUploads;
}

export interface RecoveryReport {
  /** Temps of uploads that never reached their commit, removed. */
  removedTemps: number;
  /** Commits journaled but not put in place, undone (the previous version is the current one). */
  undone: number;
  /**
   * Commits put in place whose event may not have been acknowledged, with the
   * identity of the version they put there when the backend knows it.
   */
  committed: Array<{ record: unknown; identity?: FileIdentity; done(): Promise<void> }>;
}

/** A commit that is visible but not final: confirm() drops the kept previous version, rollback() restores it. */
export interface PendingCommit {
  /** The size of the file this commit replaced (seen under the commit's lock), or undefined for a new name. */
  replacedSize: number | undefined;
  /** The new version's identity, as identity() will report it while it is unchanged. */
  identity: FileIdentity;
  confirm(): Promise<void>;
  rollback(): Promise<void>;
}

/** The steps of a commit a crash test can stop the process at. */
export type CommitStep = "before-rename" | "after-rename" | "after-publish";

/** Stops the process at a named step of a commit, for crash tests; a no-op unless a test asks for one. */
export type Failpoint = (step: CommitStep) => Promise<void> | void;

/** Options both backends take. */
export interface BackendOptions {
  failpoint?: Failpoint;
  /** A kept cut upload's time to live; 0 keeps none. */
  partialTtlMs: number;
  /** The partials' clock (tests move it). */
  now?: () => number;
}

/** Reads the first `count` bytes of a stream into `take`, then closes it; fails if the stream has fewer. */
export async function readPrefix(stream: Readable, count: number, take: (chunk: Uint8Array) => Promise<void>): Promise<number> {
  let taken = 0;
  try {
    for await (const chunk of stream) {
      if (taken >= count) break;
      const bytes = chunk as Buffer;
      const part = bytes.byteLength > count - taken ? bytes.subarray(0, count - taken) : bytes;
      taken += part.byteLength;
      await take(part);
    }
  } finally {
    stream.destroy();
  }
  return taken;
}

/** Groups a folder's entries into pages of at most `size` (listings are streamed page by page); undefined entries are skipped. */
export async function* inPages(entries: AsyncIterable<Entry | undefined>, size = 500): AsyncGenerator<Entry[]> {
  let page: Entry[] = [];
  for await (const entry of entries) {
    if (!entry) continue;
    page.push(entry);
    if (page.length === size) {
      yield page;
      page = [];
    }
  }
  if (page.length > 0) yield page;
}
