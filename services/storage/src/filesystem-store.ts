import { createHash } from "node:crypto";
import { type Dirent, type Stats, createReadStream, fsync, openSync } from "node:fs";
import { type FileHandle, link, lstat, mkdir, open, opendir, readdir, readFile, realpath, rename, rm, rmdir, stat, unlink, utimes } from "node:fs/promises";
import { dirname, join, sep } from "node:path";
import { promisify } from "node:util";
import { storage, WharfError } from "@wharf/contracts";
import type { Readable } from "node:stream";
import { createPartialUploads } from "./filesystem-partials.js";
import { type BackendOptions, type Entry, type FileIdentity, type FileStore, type Location, type RecoveryReport, type TempUpload, inPages } from "./file-store.js";
import { fromFsError } from "./fs-errors.js";
import { createKeyedLock, settleOnce } from "./keyed-lock.js";
import { assertInsideRoot, diskPath, normalizeVirtualPath, rootFolder } from "./paths.js";

const UPLOAD_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The local-filesystem backend: files of a root live under
 * <dataDir>/files/<root>/, uploads in progress under <dataDir>/uploads/ and
 * kept partials under <dataDir>/partials/ (one filesystem, so a commit is one
 * atomic rename; neither is ever listed). Also fine on a shared NFS mount, as
 * long as one storage instance writes one data folder (see docs/storage.md).
 */
export async function createFilesystemStore(dataDir: string, { failpoint = () => undefined, partialTtlMs, now }: BackendOptions): Promise<FileStore> {
  const filesDir = join(dataDir, "files");
  const uploadsDir = join(dataDir, "uploads");
  const partialsDir = join(dataDir, "partials");
  await mkdir(filesDir, { recursive: true });
  await mkdir(uploadsDir, { recursive: true });
  // Each root's real path, found once: resolving it again for every call was a
  // thread-pool round trip per operation. (Roots are made here, never replaced.)
  const realRoots = new Map<string, string>();
  const locks = createKeyedLock();

  const rootOf = async (root: string) => {
    const rootDir = rootFolder(filesDir, root);
    let realRoot = realRoots.get(rootDir);
    if (realRoot === undefined) {
      await mkdir(rootDir, { recursive: true });
      const found = await realpath(rootDir);
      realRoots.set(rootDir, found);
      realRoot = found;
    }
    return { rootDir, realRoot };
  };
  const resolve = async ({ root, path }: Location) => {
    const { rootDir, realRoot } = await rootOf(root);
    const target = diskPath(rootDir, path);
    await assertInsideRoot(rootDir, target, realRoot);
    return target;
  };
  /**
   * The disk path an upload goes to, checked as resolve() checks, in fewer
   * calls (this runs twice per upload): the folder's real path, asked with a
   * trailing separator so a file in its place fails (ENOTDIR) like a missing
   * folder (ENOENT), then the name itself, followed only if it is a link.
   */
  const resolveUploadTarget = async ({ root, path }: Location) => {
    const { rootDir, realRoot } = await rootOf(root);
    const target = diskPath(rootDir, path);
    if (target === rootDir) throw new WharfError("WHARF_IS_A_DIRECTORY", "is a folder");
    const folder = await realpath(`${dirname(target)}${sep}`);
    if (folder !== realRoot && !folder.startsWith(realRoot + sep)) throw new WharfError("WHARF_PERMISSION_DENIED", "permission denied");
    const found = await lstat(target).catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return undefined;
      throw error;
    });
    if (found?.isSymbolicLink()) {
      await assertInsideRoot(rootDir, target, realRoot);
      return { target, existing: await stat(target).catch(() => undefined) };
    }
    return { target, existing: found };
  };
  // The uploads folder is synced after every journal write: it stays open (for the life of the process,
  // as a plain descriptor) rather than be opened each time.
  const uploadsFolder = openSync(uploadsDir, "r");

  const guard = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      throw fromFsError(error);
    }
  };

  const refuseRoot = (path: string, what: string) => {
    if (normalizeVirtualPath(path) === "/") throw new WharfError("WHARF_PERMISSION_DENIED", `cannot ${what} the root folder`);
  };

  return {
    kind: "filesystem",

    confine: (location) =>
      guard(async () => {
        await resolve(location);
      }),

    stat: (location) =>
      guard(async () => {
        const target = await resolve(location);
        return toEntry(normalizeVirtualPath(location.path).split("/").pop() || "/", await stat(target));
      }),

    list: async function* (location) {
      const dir = await guard(() => resolve(location));
      const info = await guard(() => stat(dir));
      if (!info.isDirectory()) throw new WharfError("WHARF_NOT_A_DIRECTORY", "not a folder");
      const handle = await guard(() => opendir(dir, { bufferSize: 128 }));
      yield* inPages((async function* () {
        for await (const dirent of handle) yield describe(location, dir, dirent);
      })());
    },

    openRead: (location, offset) =>
      guard(async () => {
        const target = await resolve(location);
        const info = await stat(target);
        if (info.isDirectory()) throw new WharfError("WHARF_IS_A_DIRECTORY", "is a folder");
        if (offset > info.size) throw new WharfError("WHARF_INVALID_ARGUMENT", "offset is beyond the end of the file");
        const stream = createReadStream(target, { start: offset, highWaterMark: 256 * 1024 });
        await new Promise<void>((ok, fail) => stream.once("open", () => ok()).once("error", fail));
        return stream as Readable;
      }),

    mkdir: (location) =>
      guard(async () => {
        refuseRoot(location.path, "create");
        await mkdir(await resolve(location));
      }),

    delete: (location) =>
      guard(async () => {
        const target = await resolve(location);
        const info = await lstat(target);
        if (info.isDirectory()) throw new WharfError("WHARF_IS_A_DIRECTORY", "is a folder");
        await unlink(target);
        // Usage counts regular files only (as usage() does): a link removed takes nothing off.
        return info.isFile() ? { size: info.size, files: 1 } : { size: 0, files: 0 };
      }),

    rmdir: (location) =>
      guard(async () => {
        refuseRoot(location.path, "remove");
        await rmdir(await resolve(location));
      }),

    rename: (from, toPath, { noOverwrite = false } = {}) =>
      guard(async () => {
        refuseRoot(from.path, "rename");
        refuseRoot(toPath, "replace");
        const source = await resolve(from);
        const target = await resolve({ root: from.root, path: toPath });
        const moved = await lstat(source);
        const replaced = await lstat(target).catch(() => undefined);
        const same = replaced !== undefined && replaced.ino === moved.ino && replaced.dev === moved.dev;
        if (noOverwrite && replaced && !same) throw new WharfError("WHARF_ALREADY_EXISTS", "the name is taken and may not be overwritten");
        if (noOverwrite && moved.isFile() && !same) {
          // link() fails if the name was taken meanwhile, by anyone: no window between check and move.
          await link(source, target).catch((error: NodeJS.ErrnoException) => {
            throw error.code === "EEXIST" ? new WharfError("WHARF_ALREADY_EXISTS", "the name was taken meanwhile") : error;
          });
          await unlink(source);
          return { replacedSize: undefined };
        }
        await rename(source, target);
        // Renaming a file onto itself (or onto another name of it) replaces nothing.
        return { replacedSize: replaced?.isFile() && !same ? replaced.size : undefined };
      }),

    usage: (root) =>
      guard(async () => {
        const rootDir = await resolve({ root, path: "/" });
        let bytes = 0;
        let files = 0;
        const walk = async (dir: string): Promise<void> => {
          for await (const dirent of await opendir(dir, { bufferSize: 128 })) {
            const path = join(dir, dirent.name);
            if (dirent.isDirectory()) await walk(path);
            else if (dirent.isFile()) {
              files++;
              bytes += (await lstat(path).catch(() => undefined))?.size ?? 0;
            }
          }
        };
        await walk(rootDir);
        return { bytes, files };
      }),

    setModifiedTime: (location, mtimeMs) =>
      guard(async () => {
        const target = await resolve(location);
        if ((await stat(target)).isDirectory()) throw new WharfError("WHARF_IS_A_DIRECTORY", "is a folder");
        const when = new Date(mtimeMs);
        await utimes(target, when, when);
      }),

    identity: (location) =>
      guard(async () => {
        const info = await stat(await resolve(location));
        if (info.isDirectory()) throw new WharfError("WHARF_IS_A_DIRECTORY", "is a folder");
        return identityOf(info);
      }),

    checksum: (location) =>
      guard(async () => {
        const target = await resolve(location);
        if ((await stat(target)).isDirectory()) throw new WharfError("WHARF_IS_A_DIRECTORY", "is a folder");
        const hash = createHash("sha256");
        let size = 0;
        for await (const chunk of createReadStream(target, { highWaterMark: 1024 * 1024 })) {
          hash.update(chunk as Buffer);
          size += (chunk as Buffer).length;
        }
        return { sha256: hash.digest("hex"), size };
      }),

    partials: await createPartialUploads(partialsDir, { ttlMs: partialTtlMs, ...(now ? { now } : {}) }),

    prepareUpload: (location, { noOverwrite }) =>
      guard(async () => {
        const { existing } = await resolveUploadTarget(location);
        if (existing?.isDirectory()) throw new WharfError("WHARF_IS_A_DIRECTORY", "is a folder");
        if (existing && noOverwrite) throw new WharfError("WHARF_ALREADY_EXISTS", "the file exists and may not be overwritten");
        return { existingSize: existing?.size };
      }),

    createTemp: (uploadId) =>
      guard(async () => {
        if (!UPLOAD_ID.test(uploadId)) throw new WharfError("WHARF_INVALID_ARGUMENT", "bad upload id");
        const path = join(uploadsDir, `${uploadId}.part`);
        return new TempFile(path, await open(path, "wx", 0o640));
      }),

    commitUpload: (temp, location, { noOverwrite = false, record, beforePlace }) =>
      guard(async () => {
        if (!(temp instanceof TempFile) || temp.identity === undefined) throw new WharfError("WHARF_INTERNAL", "commit of an unfinished temp file");
        const { path: tempPath, identity } = temp;
        // Checked again: the folder may have been replaced by a link since the upload opened.
        const { target: destination } = await resolveUploadTarget(location);
        // One commit per destination at a time in this process: a rollback must restore the
        // version it replaced, not one another session committed meanwhile. So what is there is
        // looked at only once the lock is held.
        const release = await locks.acquire(destination);
        const journal = `${tempPath}${JOURNAL}`;
        let previous: string | undefined;
        let placed = false;
        try {
          // The destination was resolved and its folder checked when the upload opened; a folder
          // removed since makes the rename fail (ENOENT), which is reported, not papered over.
          const existing = await lstat(destination).catch(() => undefined);
          if (existing?.isDirectory()) throw new WharfError("WHARF_IS_A_DIRECTORY", "is a folder");
          if (existing && noOverwrite) throw new WharfError("WHARF_ALREADY_EXISTS", "the file exists and may not be overwritten");
          await beforePlace?.(existing?.isFile() ? existing.size : undefined);
          previous = existing ? `${tempPath}${PREVIOUS}` : undefined;
          // The journal names the new version by its inode: recovery trusts only that, not the names.
          await writeSynced(journal, JSON.stringify({ destination, previous: previous !== undefined, record, ino: identity.ino, dev: identity.dev }));
          await fsyncAsync(uploadsFolder);
          await failpoint("before-rename");
          if (noOverwrite) {
            // link() fails if the name was taken meanwhile, by any process: no window between check and commit.
            await link(tempPath, destination).catch((error: NodeJS.ErrnoException) => {
              throw error.code === "EEXIST" ? new WharfError("WHARF_ALREADY_EXISTS", "the file appeared during the upload and may not be overwritten") : error;
            });
            placed = true;
            await unlink(tempPath);
          } else {
            if (previous) await link(destination, previous);
            await rename(tempPath, destination);
            placed = true;
          }
          await syncFolder(dirname(destination));
          await failpoint("after-rename");
          const settle = settleOnce(release);
          const kept = previous;
          return {
            replacedSize: existing?.isFile() ? existing.size : undefined,
            identity: identityOf(identity),
            confirm: () =>
              settle(async () => {
                if (kept) await removeFile(kept);
                await removeFile(journal);
              }),
            rollback: () =>
              settle(async () => {
                await putBack(destination, kept);
                await rm(journal, { force: true });
              }),
          };
        } catch (error) {
          // Whatever failed after the new version was put in place, it goes again: no event, no new version.
          if (placed) await putBack(destination, previous).catch(() => undefined);
          else if (previous) await rm(previous, { force: true });
          await rm(journal, { force: true });
          release();
          throw error;
        }
      }),

    // Only at start: this instance owns its data folder, and what it finds then was left by its own last run.
    recover: ({ atStart }) => (atStart ? guard(() => recoverUploads(uploadsDir)) : Promise.resolve({ removedTemps: 0, undone: 0, committed: [] })),
  };

  async function describe(location: Location, dir: string, dirent: Dirent): Promise<Entry | undefined> {
    const path = join(dir, dirent.name);
    try {
      if (dirent.isSymbolicLink()) {
        // A link is listed only when it stays inside the root; one pointing out is invisible.
        await assertInsideRoot(rootFolder(filesDir, location.root), path);
      }
      return toEntry(dirent.name, await stat(path));
    } catch {
      return undefined;
    }
  }
}

function toEntry(name: string, info: Stats): Entry {
  return {
    name,
    type: info.isDirectory() ? storage.EntryType.ENTRY_TYPE_DIRECTORY : storage.EntryType.ENTRY_TYPE_FILE,
    size: info.isDirectory() ? 0 : info.size,
    mtimeMs: Math.trunc(info.mtimeMs),
  };
}

const fsyncAsync = promisify(fsync);

/** Removes a file; missing is fine (one unlink, where rm() looks first). */
async function removeFile(path: string): Promise<void> {
  await unlink(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== "ENOENT") throw error;
  });
}

/** fsync of a folder: makes a rename in it durable. */
async function syncFolder(path: string): Promise<void> {
  const folder = await open(path, "r");
  try {
    await folder.sync();
  } finally {
    await folder.close();
  }
}

const JOURNAL = ".journal";
const PREVIOUS = ".previous";

/** Undoes a put-in-place: the kept previous version back under the name, or the name removed. */
async function putBack(destination: string, previous: string | undefined): Promise<void> {
  if (previous) await rename(previous, destination);
  else await unlink(destination);
  await syncFolder(dirname(destination));
}

/** Writes a small file and syncs it (the caller syncs its folder). */
async function writeSynced(path: string, text: string): Promise<void> {
  const handle = await open(path, "w", 0o640);
  try {
    await handle.writeFile(text);
    await handle.datasync();
  } finally {
    await handle.close();
  }
}

/** See FileStore.recover(). */
async function recoverUploads(uploadsDir: string): Promise<RecoveryReport> {
  const report: RecoveryReport = { removedTemps: 0, undone: 0, committed: [] };
  const names = new Set(await readdir(uploadsDir));
  const journaled = new Set<string>();
  for (const name of names) {
    if (!name.endsWith(JOURNAL)) continue;
    const temp = join(uploadsDir, name.slice(0, -JOURNAL.length));
    const journal = join(uploadsDir, name);
    journaled.add(name.slice(0, -JOURNAL.length));
    let entry: { destination: string; previous: boolean; record: unknown; ino: number; dev: number };
    try {
      entry = JSON.parse(await readFile(journal, "utf8")) as typeof entry;
    } catch {
      // Torn before its sync returned: the commit had not started putting anything in place.
      await rm(temp, { force: true });
      await rm(`${temp}${PREVIOUS}`, { force: true });
      await rm(journal, { force: true });
      report.undone++;
      continue;
    }
    const tempInfo = await stat(temp).catch(() => undefined);
    const destinationInfo = await stat(entry.destination).catch(() => undefined);
    // In place only if the destination is the very file this commit wrote (its inode, journaled):
    // not when the rename never happened, nor when a rollback already put the previous version back.
    const inPlace = destinationInfo !== undefined && destinationInfo.ino === entry.ino && destinationInfo.dev === entry.dev;
    if (!inPlace) {
      await rm(temp, { force: true });
      await rm(`${temp}${PREVIOUS}`, { force: true });
      await rm(journal, { force: true });
      report.undone++;
      continue;
    }
    if (tempInfo) await rm(temp, { force: true });
    report.committed.push({
      record: entry.record,
      identity: identityOf(destinationInfo),
      done: async () => {
        await rm(`${temp}${PREVIOUS}`, { force: true });
        await rm(journal, { force: true });
      },
    });
  }
  for (const name of names) {
    if (name.endsWith(JOURNAL) || journaled.has(name) || journaled.has(name.replace(/\.previous$/, ""))) continue;
    // An upload cut before its commit (the process died mid-transfer): nothing of it was ever visible.
    await rm(join(uploadsDir, name), { force: true });
    report.removedTemps++;
  }
  return report;
}

function identityOf(info: { dev: number; ino: number; size: number; mtimeMs: number }): FileIdentity {
  return { version: `${info.dev}:${info.ino}`, size: info.size, mtimeMs: info.mtimeMs };
}

/** An upload's bytes in <data>/uploads/<id>.part, on the files' filesystem. */
export class TempFile implements TempUpload {
  /** Set by finish(): the file's identity on disk (a rename or link keeps inode and mtime). */
  identity: Stats | undefined;
  private closed = false;

  constructor(
    readonly path: string,
    private readonly handle: FileHandle,
  ) {}

  /** One writev per batch; a short write (a full disk, a file-size limit) writes the rest, or fails. */
  async write(buffers: Uint8Array[]): Promise<void> {
    try {
      let left = buffers.reduce((sum, buffer) => sum + buffer.byteLength, 0);
      let { bytesWritten } = await this.handle.writev(buffers);
      left -= bytesWritten;
      if (left === 0) return;
      const rest = Buffer.concat(buffers).subarray(-left);
      for (let offset = 0; offset < rest.byteLength; offset += bytesWritten) {
        ({ bytesWritten } = await this.handle.write(rest, offset, rest.byteLength - offset));
        if (bytesWritten <= 0) throw Object.assign(new Error("short write"), { code: "ENOSPC" });
      }
    } catch (error) {
      throw fromFsError(error);
    }
  }

  async finish(): Promise<{ size: number }> {
    try {
      await this.handle.sync();
      this.identity = await this.handle.stat();
      await this.close();
      return { size: this.identity.size };
    } catch (error) {
      throw fromFsError(error);
    }
  }

  async discard(): Promise<void> {
    await this.close().catch(() => undefined);
    await rm(this.path, { force: true });
  }

  private async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle.close();
  }
}
