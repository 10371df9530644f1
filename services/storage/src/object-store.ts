import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { nuid } from "@nats-io/nats-core";
import { Objm } from "@nats-io/obj";
import { type NatsConnection, openBucket } from "@wharf/bus";
import { buckets, WharfError } from "@wharf/contracts";
import { type BackendOptions, type FileStore, inPages, type Location, type PendingCommit, type RecoveryReport } from "./file-store.js";
import { createKeyedLock, settleOnce } from "./keyed-lock.js";
import { createObjectPartials } from "./object-partials.js";
import { type ObjectBucket, type ObjectRef, ObjectWriter, readObject, removeObject } from "./object-io.js";
import { ObjectState } from "./object-state.js";
import { type FileEntry, type Found, ObjectTree, type TreeEntry, unavailable } from "./object-tree.js";
import { normalizeVirtualPath } from "./paths.js";

export interface ObjectStoreOptions extends BackendOptions {
  /** Names this storage instance in what it journals; stable across its restarts (host and gRPC address). */
  instanceId: string;
  /** Replicas of the object store, tree and state buckets (3 on a three-node NATS cluster). */
  replicas?: number;
  /**
   * How long an upload may go without renewing its record, and a commit's
   * journal may stay, before another instance takes them for abandoned; also
   * how long a replaced or deleted object stays readable for readers that
   * opened it before.
   */
  staleMs?: number;
}

const UPLOAD_ID = /^[A-Za-z0-9_-]{1,64}$/;

interface UploadRecord {
  root: string;
  name: string;
  nuid: string;
  owner: string;
  at: number;
}

interface JournalRecord {
  key: string;
  placed: FileEntry;
  previous: TreeEntry | null;
  record: unknown;
  owner: string;
  at: number;
}

interface TrashRecord {
  root: string;
  name: string;
  nuid: string;
  at: number;
}

/**
 * The NATS JetStream object-store backend (DESIGN.md §4): bytes in the
 * `wharf_objects` object store, names in the `wharf_tree` KV bucket,
 * bookkeeping in `wharf_object_state`. Everything lives in JetStream, so it is
 * replicated with the NATS cluster and every storage instance sees the same
 * files with no shared disk.
 *
 * A commit: the object is written under its upload id, the journal is
 * written, then one revision-checked write of the name's tree key makes the
 * new version visible (create() when the name must be free), atomically for
 * every reader of every instance. The object it replaced goes to the trash
 * only when the commit is confirmed; a rollback puts the previous entry back.
 */
export async function createObjectStore(nc: NatsConnection, { instanceId, replicas = 1, staleMs = 120_000, failpoint = () => undefined, partialTtlMs, now }: ObjectStoreOptions): Promise<FileStore> {
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  // Made (or opened) by the library, so the stream has the object store's own configuration.
  await new Objm(js).create(buckets.objects, { replicas });
  const bucket: ObjectBucket = { name: buckets.objects, stream: `OBJ_${buckets.objects}`, js, jsm };
  // No direct gets (bucketSettings): with replicas, a follower may answer a direct get from behind the leader,
  // and what this backend reads decides what it keeps or removes.
  const tree = new ObjectTree(await openBucket(nc, buckets.tree, { replicas }), bucket, buckets.tree);
  const state = new ObjectState(await openBucket(nc, buckets.objectState, { replicas }), bucket, buckets.objectState);
  const locks = createKeyedLock();

  /** An object no name of `root` refers to any more: freed once readers that opened it had their grace period (and if still no name holds it). */
  const free = async ({ name, nuid: id }: { name: string; nuid: string }, root: string) => {
    await state.put(`t.${id}`, { root, name, nuid: id, at: Date.now() } satisfies TrashRecord);
  };
  const partials = createObjectPartials(bucket, state, free, { ttlMs: partialTtlMs, ...(now ? { now } : {}) });
  const keyOf = ({ root, path }: Location) => tree.keyOf(root, path);
  const refuseRoot = (key: string, what: string) => {
    if (tree.isRootKey(key)) throw new WharfError("WHARF_PERMISSION_DENIED", `cannot ${what} the root folder`);
  };
  const mustGet = async (key: string) => {
    const found = await tree.get(key);
    if (!found) throw new WharfError("WHARF_NOT_FOUND", "no such file or folder");
    return found;
  };
  const fileAt = async (key: string): Promise<Found & { entry: FileEntry }> => {
    const found = await mustGet(key);
    if (found.entry.t === "d") throw new WharfError("WHARF_IS_A_DIRECTORY", "is a folder");
    return found as Found & { entry: FileEntry };
  };
  const objectOf = (entry: FileEntry): ObjectRef => ({ name: entry.o, nuid: entry.n, size: entry.s, chunks: entry.c });
  const guard = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      throw unavailable(error);
    }
  };
  const hasChildren = async (key: string) => {
    for await (const _ of tree.scan(key, "children")) return true;
    return false;
  };

  const store: FileStore = {
    kind: "object-store",

    confine: async (location) => {
      keyOf(location);
    },

    stat: (location) =>
      guard(async () => {
        const key = keyOf(location);
        return tree.toEntry(key, (await mustGet(key)).entry);
      }),

    list: async function* (location) {
      const key = keyOf(location);
      await guard(() => tree.folder(key));
      yield* inPages((async function* () {
        for await (const child of tree.scan(key, "children")) yield tree.toEntry(child.key, child.entry);
      })());
    },

    openRead: (location, offset) =>
      guard(async () => {
        const { entry } = await fileAt(keyOf(location));
        if (offset > entry.s) throw new WharfError("WHARF_INVALID_ARGUMENT", "offset is beyond the end of the file");
        return readObject(bucket, objectOf(entry), offset);
      }),

    mkdir: (location) =>
      guard(async () => {
        const key = keyOf(location);
        refuseRoot(key, "create");
        await tree.folder(tree.parentOf(key));
        await tree.create(key, { t: "d", m: Date.now() });
      }),

    delete: (location) =>
      guard(async () => {
        const key = keyOf(location);
        const { entry, revision } = await fileAt(key);
        if (!(await tree.remove(key, revision))) throw new WharfError("WHARF_UNAVAILABLE", "the file changed while it was being deleted; try again");
        await free(objectOf(entry), location.root);
        return { size: entry.s, files: 1 };
      }),

    rmdir: (location) =>
      guard(async () => {
        const key = keyOf(location);
        refuseRoot(key, "remove");
        const { entry, revision } = await mustGet(key);
        if (entry.t !== "d") throw new WharfError("WHARF_NOT_A_DIRECTORY", "not a folder");
        if (await hasChildren(key)) throw new WharfError("WHARF_DIRECTORY_NOT_EMPTY", "folder not empty");
        if (!(await tree.remove(key, revision))) throw new WharfError("WHARF_UNAVAILABLE", "the folder changed while it was being removed; try again");
        // A commit into the folder checks it exists just before it writes its name; one that slipped in
        // between the check above and the removal is seen now, and the folder comes back around it.
        if (await hasChildren(key)) {
          await tree.create(key, entry).catch(() => undefined);
          throw new WharfError("WHARF_DIRECTORY_NOT_EMPTY", "folder not empty");
        }
      }),

    rename: (from, toPath, { noOverwrite = false } = {}) =>
      guard(async () => {
        const source = keyOf(from);
        const target = keyOf({ root: from.root, path: toPath });
        refuseRoot(source, "rename");
        refuseRoot(target, "replace");
        const moved = await mustGet(source);
        if (source === target) return { replacedSize: undefined };
        if (target.startsWith(`${source}.`)) throw new WharfError("WHARF_INVALID_ARGUMENT", "a folder cannot move into itself");
        await tree.folder(tree.parentOf(target));
        const replaced = await tree.get(target);
        if (replaced && noOverwrite) throw new WharfError("WHARF_ALREADY_EXISTS", "the name is taken and may not be overwritten");
        if (replaced?.entry.t === "d" && moved.entry.t === "f") throw new WharfError("WHARF_IS_A_DIRECTORY", "is a folder");
        if (replaced?.entry.t === "f" && moved.entry.t === "d") throw new WharfError("WHARF_NOT_A_DIRECTORY", "not a folder");
        if (replaced?.entry.t === "d" && (await hasChildren(target))) throw new WharfError("WHARF_DIRECTORY_NOT_EMPTY", "folder not empty");
        if (moved.entry.t === "f") {
          // The new name first, then the old one goes: a crash in between leaves the file under both names,
          // never under none (and an object is only ever freed when no name holds it).
          const placed = replaced ? await tree.update(target, moved.entry, replaced.revision) : await tree.create(target, moved.entry);
          if (placed === undefined) throw new WharfError("WHARF_UNAVAILABLE", "the name changed during the rename; try again");
          if (!(await tree.remove(source, moved.revision))) {
            // The file changed meanwhile (a new version, MFMT, a delete): the rename did not happen.
            if (replaced) await tree.update(target, replaced.entry, placed);
            else await tree.remove(target, placed);
            throw new WharfError("WHARF_UNAVAILABLE", "the file changed during the rename; try again");
          }
          const replacedFile = replaced?.entry.t === "f" ? replaced.entry : undefined;
          if (replacedFile && replacedFile.n !== moved.entry.n) await free(objectOf(replacedFile), from.root);
          return { replacedSize: replacedFile && replacedFile.n !== moved.entry.n ? replacedFile.s : undefined };
        }
        // A folder: its entries are copied under the new name, then removed from the old one. Not atomic
        // (a crash midway leaves entries under both names, never under none); see docs/storage.md.
        if (replaced) await tree.remove(target, replaced.revision);
        await tree.create(target, moved.entry);
        const descendants = [];
        for await (const found of tree.scan(source, "descendants")) descendants.push(found);
        const copies = new Map<string, number>();
        for (const found of descendants) copies.set(found.key, await tree.create(`${target}${found.key.slice(source.length)}`, found.entry));
        for (const found of descendants.reverse()) {
          // An entry changed meanwhile stays where it is, and its copy goes.
          if (!(await tree.remove(found.key, found.revision))) await tree.remove(`${target}${found.key.slice(source.length)}`, copies.get(found.key) ?? 0);
        }
        await tree.remove(source, moved.revision);
        return { replacedSize: undefined };
      }),

    usage: (root) =>
      guard(async () => {
        let bytes = 0;
        let files = 0;
        for await (const { entry } of tree.scan(tree.keyOf(root, "/"), "descendants")) {
          if (entry.t !== "f") continue;
          files++;
          bytes += entry.s;
        }
        return { bytes, files };
      }),

    setModifiedTime: (location, mtimeMs) =>
      guard(async () => {
        const key = keyOf(location);
        const { entry, revision } = await fileAt(key);
        if ((await tree.update(key, { ...entry, m: mtimeMs }, revision)) === undefined) {
          throw new WharfError("WHARF_UNAVAILABLE", "the file changed meanwhile; try again");
        }
      }),

    identity: (location) =>
      guard(async () => {
        const { entry } = await fileAt(keyOf(location));
        return { version: entry.n, size: entry.s, mtimeMs: entry.m };
      }),

    // The SHA-256 was computed while the bytes arrived and is part of the name's entry.
    checksum: (location) =>
      guard(async () => {
        const { entry } = await fileAt(keyOf(location));
        return { sha256: entry.h, size: entry.s };
      }),

    prepareUpload: (location, { noOverwrite }) =>
      guard(async () => {
        const key = keyOf(location);
        if (tree.isRootKey(key)) throw new WharfError("WHARF_IS_A_DIRECTORY", "is a folder");
        await tree.folder(tree.parentOf(key));
        const existing = await tree.get(key);
        if (existing?.entry.t === "d") throw new WharfError("WHARF_IS_A_DIRECTORY", "is a folder");
        if (existing && noOverwrite) throw new WharfError("WHARF_ALREADY_EXISTS", "the file exists and may not be overwritten");
        return { existingSize: existing?.entry.t === "f" ? existing.entry.s : undefined };
      }),

    createTemp: (uploadId, location) =>
      guard(async () => {
        if (!UPLOAD_ID.test(uploadId)) throw new WharfError("WHARF_INVALID_ARGUMENT", "bad upload id");
        const id = nuid.next();
        const record = (): UploadRecord => ({ root: location.root, name: uploadId, nuid: id, owner: instanceId, at: Date.now() });
        // Recorded before the first byte, and renewed while the upload runs: an upload whose record
        // stops being renewed was cut by a crash, and its object is removed.
        await state.put(`u.${uploadId}`, record());
        const renew = setInterval(() => void state.put(`u.${uploadId}`, record()).catch(() => undefined), Math.max(1_000, staleMs / 4));
        renew.unref();
        return new ObjectWriter(bucket, uploadId, id, `${location.root}:${normalizeVirtualPath(location.path)}`, {
          stopRenewing: () => clearInterval(renew),
          forget: () => state.delete(`u.${uploadId}`),
        });
      }),

    commitUpload: (temp, location, { noOverwrite = false, record, beforePlace }) =>
      guard(async (): Promise<PendingCommit> => {
        if (!(temp instanceof ObjectWriter)) throw new WharfError("WHARF_INTERNAL", "commit of an upload from another backend");
        const key = keyOf(location);
        const stored = temp.stored;
        const placed: FileEntry = { t: "f", m: Date.now(), o: stored.name, n: stored.nuid, s: stored.size, c: stored.chunks, h: stored.sha256 };
        const journalKey = `j.${stored.name}`;
        // One commit per name at a time in this instance; other instances are told apart by the tree's revisions.
        const release = await locks.acquire(key);
        let revision: number | undefined;
        let existing: Found | undefined;
        let journaled = false;
        let outcomeUnknown = false;
        try {
          // The folder may have been removed since the upload opened.
          await tree.folder(tree.parentOf(key));
          existing = await tree.get(key);
          if (existing?.entry.t === "d") throw new WharfError("WHARF_IS_A_DIRECTORY", "is a folder");
          if (existing && noOverwrite) throw new WharfError("WHARF_ALREADY_EXISTS", "the file exists and may not be overwritten");
          await beforePlace?.(existing?.entry.t === "f" ? existing.entry.s : undefined);
          for (let attempt = 1; revision === undefined; attempt++) {
            await state.put(journalKey, { key, placed, previous: existing?.entry ?? null, record, owner: instanceId, at: Date.now() } satisfies JournalRecord);
            journaled = true;
            // From here the journal answers for the object (recovery removes it unless a name holds it).
            if (attempt === 1) await temp.release();
            await failpoint("before-rename");
            try {
              revision = noOverwrite || !existing ? await tree.create(key, placed) : await tree.update(key, placed, existing.revision);
            } catch (error) {
              if (error instanceof WharfError && error.code === "WHARF_ALREADY_EXISTS") {
                if (noOverwrite) throw new WharfError("WHARF_ALREADY_EXISTS", "the file appeared during the upload and may not be overwritten", { cause: error });
                // Another instance created the name meanwhile: replace it, below.
              } else {
                // The write may have been applied though its answer was lost (a leader change): the name says.
                const holder = await tree.get(key).catch(() => {
                  outcomeUnknown = true;
                  throw new WharfError("WHARF_UNAVAILABLE", "the object store did not confirm the commit; recovery finishes or undoes it", { cause: error });
                });
                if (holder?.entry.t !== "f" || holder.entry.n !== placed.n) throw error;
                revision = holder.revision;
              }
            }
            if (revision !== undefined) break;
            // Another instance committed the name meanwhile: replace what is there now.
            if (attempt === 5) throw new WharfError("WHARF_UNAVAILABLE", "the name keeps changing; try again");
            existing = await tree.get(key);
            if (existing?.entry.t === "d") throw new WharfError("WHARF_IS_A_DIRECTORY", "is a folder");
          }
          await failpoint("after-rename");
        } catch (error) {
          // Not placed: the object goes, then its journal (should either fail, recovery finishes the job).
          // With the outcome unknown both stay, for recovery to decide once the tree answers.
          if (journaled && !outcomeUnknown) await removeObject(bucket, objectOf(placed)).then(() => state.delete(journalKey)).catch(() => undefined);
          release();
          throw error;
        }
        const previous = existing?.entry.t === "f" ? existing.entry : undefined;
        const ours = revision;
        const settle = settleOnce(release);
        return {
          replacedSize: previous?.s,
          identity: { version: placed.n, size: placed.s, mtimeMs: placed.m },
          confirm: () =>
            settle(async () => {
              if (previous) await free(objectOf(previous), location.root);
              await state.delete(journalKey);
            }),
          rollback: () =>
            settle(async () => {
              // Only if the name still holds this commit: a version committed since stays (and frees ours
              // when it is confirmed). Should the tree not answer, the journal stays for recovery.
              const undone = previous ? (await tree.update(key, previous, ours)) !== undefined : await tree.remove(key, ours);
              if (undone) await free(objectOf(placed), location.root);
              await state.delete(journalKey);
            }),
        };
      }),

    recover: ({ atStart }) => guard(() => recoverObjects(atStart)),

    partials,
  };

  /**
   * Which of `candidates` (object nuids) a name or a kept partial of `root`
   * holds: asked before anything is removed for good, so an object is never
   * purged while a name refers to it, whatever put it in the trash.
   */
  async function referenced(root: string, candidates: Set<string>): Promise<Set<string>> {
    const found = new Set<string>();
    if (candidates.size === 0) return found;
    for await (const { entry } of tree.scan(tree.keyOf(root, "/"), "descendants")) if (entry.t === "f" && candidates.has(entry.n)) found.add(entry.n);
    for (const nuid of await partials.objectsOf(root)) if (candidates.has(nuid)) found.add(nuid);
    return found;
  }

  /** Those of `records` whose object nothing refers to, asked once per root. */
  async function unreferenced<T extends { root: string; nuid: string }>(records: T[]): Promise<T[]> {
    const byRoot = new Map<string, T[]>();
    for (const record of records) byRoot.set(record.root, [...(byRoot.get(record.root) ?? []), record]);
    const free: T[] = [];
    for (const [root, group] of byRoot) {
      const held = await referenced(root, new Set(group.map((record) => record.nuid)));
      free.push(...group.filter((record) => !held.has(record.nuid)));
    }
    return free;
  }

  /** See FileStore.recover(): this instance's leftovers at start, anyone's once they are stale. */
  async function recoverObjects(atStart: boolean): Promise<RecoveryReport> {
    const report: RecoveryReport = { removedTemps: 0, undone: 0, committed: [] };
    const abandoned = (owner: string, at: number) => (atStart && owner === instanceId) || Date.now() - at > staleMs;
    const journaled = new Set<string>();
    for await (const { key, value } of state.scan<JournalRecord>("j.*")) {
      journaled.add(value.placed.o);
      if (!abandoned(value.owner, value.at)) continue;
      const root = rootOfKey(value.key);
      const holder = await tree.get(value.key);
      // Put in place if its name holds the very object this commit wrote, or if any name does (it was
      // renamed since); undone only if no name ever got it.
      const placed = (holder?.entry.t === "f" && holder.entry.n === value.placed.n) || (await referenced(root, new Set([value.placed.n]))).size > 0;
      if (!placed) {
        await removeObject(bucket, objectOf(value.placed));
        await state.delete(key);
        report.undone++;
        continue;
      }
      report.committed.push({
        record: value.record,
        identity: { version: value.placed.n, size: value.placed.s, mtimeMs: value.placed.m },
        done: async () => {
          if (value.previous?.t === "f" && value.previous.n !== value.placed.n) await free(objectOf(value.previous), root);
          await state.delete(key);
        },
      });
    }
    const uploads: Array<UploadRecord & { key: string }> = [];
    for await (const { key, value } of state.scan<UploadRecord>("u.*")) {
      if (!journaled.has(value.name) && abandoned(value.owner, value.at)) uploads.push({ ...value, key });
    }
    for (const upload of await unreferenced(uploads)) {
      // An upload cut before its commit (its instance died mid-transfer): nothing of it was ever visible.
      await removeObject(bucket, upload);
      report.removedTemps++;
    }
    for (const upload of uploads) await state.delete(upload.key);
    const trash: Array<TrashRecord & { key: string }> = [];
    for await (const { key, value } of state.scan<TrashRecord>("t.*")) if (Date.now() - value.at > staleMs) trash.push({ ...value, key });
    for (const object of await unreferenced(trash)) await removeObject(bucket, object);
    for (const object of trash) await state.delete(object.key);
    return report;
  }

  /** The root a tree key belongs to. */
  function rootOfKey(key: string): string {
    return Buffer.from(key.split(".")[0] ?? "", "base64url").toString();
  }

  return store;
}
