import { createHash } from "node:crypto";
import { WharfError } from "@wharf/contracts";
import type { PartialUploads, TempUpload } from "./file-store.js";
import { type ObjectBucket, type ObjectRef, ObjectWriter, readObject } from "./object-io.js";
import type { ObjectState } from "./object-state.js";
import { checkRootName } from "./paths.js";

interface PartialRecord extends ObjectRef {
  root: string;
  path: string;
  keptAt: number;
}

export interface ObjectPartials extends PartialUploads {
  /** The objects (nuids) a root's kept partials hold, so nothing frees them. */
  objectsOf(root: string): Promise<string[]>;
}

/**
 * Cut uploads kept for resume in the object-store backend: the bytes stay the
 * object the upload was writing, and `p.<root>.<hash of the path>` in the
 * state bucket says whose partial it is. Records change only at the revision
 * they were read at, so two instances keeping or dropping one name's partial
 * at once never lose track of an object; replaced and expired partials'
 * objects go to the trash (`free`).
 */
export function createObjectPartials(
  bucket: ObjectBucket,
  state: ObjectState,
  free: (object: ObjectRef, root: string) => Promise<void>,
  { ttlMs, now = Date.now }: { ttlMs: number; now?: () => number },
): ObjectPartials {
  const rootKey = (root: string) => `p.${Buffer.from(checkRootName(root)).toString("base64url")}`;
  const keyOf = (root: string, path: string) => `${rootKey(root)}.${createHash("sha256").update(`${root}\0${path}`).digest("hex")}`;
  const expired = (record: PartialRecord) => now() - record.keptAt >= ttlMs;
  /** Forgets a partial if its record is still the one read; its object goes to the trash. */
  const drop = async (key: string, record: PartialRecord, revision: number) => {
    if (await state.deleteAt(key, revision)) await free(record, record.root);
  };
  return {
    enabled: ttlMs > 0,
    async keep(temp: TempUpload, root, path, size) {
      if (!(temp instanceof ObjectWriter)) throw new WharfError("WHARF_INTERNAL", "a partial of the object store must come from its uploads");
      await temp.finish();
      const key = keyOf(root, path);
      const { name, nuid, chunks } = temp.stored;
      for (let attempt = 1; ; attempt++) {
        const older = await state.getAt<PartialRecord>(key);
        if (await state.putAt(key, { root, path, size, name, nuid, chunks, keptAt: now() } satisfies PartialRecord, older?.revision ?? 0)) {
          await temp.release();
          if (older && older.value.nuid !== nuid) await free(older.value, root);
          return;
        }
        if (attempt === 5) throw new WharfError("WHARF_UNAVAILABLE", "the partial of this name keeps changing");
      }
    },
    async find(root, path) {
      if (ttlMs <= 0) return undefined;
      const key = keyOf(root, path);
      const found = await state.getAt<PartialRecord>(key);
      if (!found || found.value.root !== root || found.value.path !== path) return undefined;
      if (expired(found.value)) {
        await drop(key, found.value, found.revision);
        return undefined;
      }
      const record = found.value;
      return { size: record.size, keptAt: record.keptAt, open: async () => readObject(bucket, record, 0) };
    },
    async drop(root, path) {
      const key = keyOf(root, path);
      const found = await state.getAt<PartialRecord>(key);
      if (found) await drop(key, found.value, found.revision);
    },
    async bytesOf(root) {
      let bytes = 0;
      for await (const { value } of state.scan<PartialRecord>(`${rootKey(root)}.*`)) if (value.root === root && !expired(value)) bytes += value.size;
      return bytes;
    },
    async objectsOf(root) {
      const nuids: string[] = [];
      for await (const { value } of state.scan<PartialRecord>(`${rootKey(root)}.*`)) nuids.push(value.nuid);
      return nuids;
    },
    async sweep() {
      let removed = 0;
      for await (const { key, value, revision } of state.scan<PartialRecord>("p.>")) {
        if (!expired(value)) continue;
        await drop(key, value, revision);
        removed++;
      }
      return removed;
    },
  };
}
