import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { nuid } from "@nats-io/nats-core";
import { Objm } from "@nats-io/obj";
import type { NatsConnection } from "@wharf/bus";
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
  const kvm = new Kvm(js);
  const tree = new ObjectTree(await kvm.create(buckets.tree, { history: 1, replicas }), bucket, buckets.tree);
  const state = new ObjectState(await kvm.create(buckets.objectState, { history: 1, replicas }), bucket, buckets.objectState);
  const locks = createKeyedLock();

  /** An object nothing refers to any more: freed once readers that opened it had their grace period. */
  const free = async ({ name, nuid: id }: { name: string; nuid: string }) => {
    await state.put(`t.${id}`, { name, nuid: id, at: Date.now() } satisfies TrashRecord);
  };
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
        await free(objectOf(entry));
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
          // The new name first, then the old one goes: a crash in between leaves the file under both names, never under none.
          const placed = replaced ? await tree.update(target, moved.entry, replaced.revision) : await tree.create(target, moved.entry);
          if (placed === undefined) throw new WharfError("WHARF_UNAVAILABLE", "the name changed during the rename; try again");
          await tree.remove(source, moved.revision);
          if (replaced?.entry.t === "f") await free(objectOf(replaced.entry));
          return { replacedSize: replaced?.entry.t === "f" ? replaced.entry.s : undefined };
        }
        // A folder: its entries are copied under the new name, then removed from the old one. Not atomic
        // (a crash midway leaves entries under both names, never under none); see docs/storage.md.
        if (replaced) await tree.remove(target, replaced.revision);
        await tree.create(target, moved.entry);
        const descendants = [];
        for await (const found of tree.scan(source, "descendants")) descendants.push(found);
        for (const found of descendants) await tree.create(`${target}${found.key.slice(source.length)}`, found.entry);
        for (const found of descendants.reverse()) await tree.remove(found.key, found.revision);
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
        const record = (): UploadRecord => ({ name: uploadId, nuid: id, owner: instanceId, at: Date.now() });
        // Recorded before the first byte, and renewed while the upload runs: an upload whose record
        // stops being renewed was cut by a crash, and its object is removed.
        await state.put(`u.${uploadId}`, record());
        const renew = setInterval(() => void state.put(`u.${uploadId}`, record()).catch(() => undefined), Math.max(1_000, staleMs / 4));
        renew.unref();
        return new ObjectWriter(bucket, uploadId, id, `${location.root}:${normalizeVirtualPath(location.path)}`, async () => {
          clearInterval(renew);
          await state.delete(`u.${uploadId}`);
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
        try {
          existing = await tree.get(key);
          if (existing?.entry.t === "d") throw new WharfError("WHARF_IS_A_DIRECTORY", "is a folder");
          if (existing && noOverwrite) throw new WharfError("WHARF_ALREADY_EXISTS", "the file exists and may not be overwritten");
          await beforePlace?.(existing?.entry.t === "f" ? existing.entry.s : undefined);
          for (let attempt = 1; revision === undefined; attempt++) {
            await state.put(journalKey, { key, placed, previous: existing?.entry ?? null, record, owner: instanceId, at: Date.now() } satisfies JournalRecord);
            // From here the journal answers for the object (recovery removes it unless the name holds it).
            if (attempt === 1) await temp.release();
            await failpoint("before-rename");
            if (noOverwrite || !existing) {
              revision = await tree.create(key, placed).catch((error: unknown) => {
                throw error instanceof WharfError && error.code === "WHARF_ALREADY_EXISTS" ? new WharfError("WHARF_ALREADY_EXISTS", "the file appeared during the upload and may not be overwritten") : error;
              });
            } else {
              revision = await tree.update(key, placed, existing.revision);
            }
            if (revision !== undefined) break;
            // Another instance committed the name meanwhile: replace what is there now.
            if (attempt === 5) throw new WharfError("WHARF_UNAVAILABLE", "the name keeps changing; try again");
            existing = await tree.get(key);
            if (existing?.entry.t === "d") throw new WharfError("WHARF_IS_A_DIRECTORY", "is a folder");
          }
          await failpoint("after-rename");
        } catch (error) {
          await state.delete(journalKey).catch(() => undefined);
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
              if (previous) await free(objectOf(previous));
              await state.delete(journalKey);
            }),
          rollback: () =>
            settle(async () => {
              // Only if the name still holds this commit: a version committed since stays (and frees ours
              // when it is confirmed). Should the tree not answer, the journal stays for recovery.
              const undone = previous ? (await tree.update(key, previous, ours)) !== undefined : await tree.remove(key, ours);
              if (undone) await free(objectOf(placed));
              await state.delete(journalKey);
            }),
        };
      }),

    recover: ({ atStart }) => guard(() => recoverObjects(atStart)),

    partials: createObjectPartials(bucket, state, free, { ttlMs: partialTtlMs, ...(now ? { now } : {}) }),
  };

  /** See FileStore.recover(): this instance's leftovers at start, anyone's once they are stale. */
  async function recoverObjects(atStart: boolean): Promise<RecoveryReport> {
    const report: RecoveryReport = { removedTemps: 0, undone: 0, committed: [] };
    const abandoned = (owner: string, at: number) => (atStart && owner === instanceId) || Date.now() - at > staleMs;
    const journaled = new Set<string>();
    for await (const { key, value } of state.scan<JournalRecord>("j.*")) {
      journaled.add(value.placed.o);
      if (!abandoned(value.owner, value.at)) continue;
      const now = await tree.get(value.key);
      // In place only if the name holds the very object this commit wrote.
      const inPlace = now?.entry.t === "f" && now.entry.n === value.placed.n;
      await state.delete(`u.${value.placed.o}`);
      if (!inPlace) {
        await removeObject(bucket, { name: value.placed.o, nuid: value.placed.n });
        await state.delete(key);
        report.undone++;
        continue;
      }
      report.committed.push({
        record: value.record,
        done: async () => {
          if (value.previous?.t === "f" && value.previous.n !== value.placed.n) await free(objectOf(value.previous));
          await state.delete(key);
        },
      });
    }
    for await (const { key, value } of state.scan<UploadRecord>("u.*")) {
      if (journaled.has(value.name) || !abandoned(value.owner, value.at)) continue;
      // An upload cut before its commit (its instance died mid-transfer): nothing of it was ever visible.
      await removeObject(bucket, value);
      await state.delete(key);
      report.removedTemps++;
    }
    for await (const { key, value } of state.scan<TrashRecord>("t.*")) {
      if (Date.now() - value.at <= staleMs) continue;
      await removeObject(bucket, value);
      await state.delete(key);
    }
    return report;
  }

  return store;
}
