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

/**
 * Cut uploads kept for resume in the object-store backend: the bytes stay the
 * object the upload was writing, and `p.<root>.<hash of the path>` in the
 * state bucket says whose partial it is. Replaced and expired partials'
 * objects go to the trash (`free`).
 */
export function createObjectPartials(
  bucket: ObjectBucket,
  state: ObjectState,
  free: (object: ObjectRef) => Promise<void>,
  { ttlMs, now = Date.now }: { ttlMs: number; now?: () => number },
): PartialUploads {
  const rootKey = (root: string) => `p.${Buffer.from(checkRootName(root)).toString("base64url")}`;
  const keyOf = (root: string, path: string) => `${rootKey(root)}.${createHash("sha256").update(`${root}\0${path}`).digest("hex")}`;
  const expired = (record: PartialRecord) => now() - record.keptAt >= ttlMs;
  const drop = async (key: string, record: PartialRecord) => {
    await state.delete(key);
    await free(record);
  };
  return {
    enabled: ttlMs > 0,
    async keep(temp: TempUpload, root, path, size) {
      if (!(temp instanceof ObjectWriter)) throw new WharfError("WHARF_INTERNAL", "a partial of the object store must come from its uploads");
      await temp.finish();
      const key = keyOf(root, path);
      const older = await state.get<PartialRecord>(key);
      const { name, nuid, chunks } = temp.stored;
      await state.put(key, { root, path, size, name, nuid, chunks, keptAt: now() } satisfies PartialRecord);
      await temp.release();
      if (older && older.nuid !== nuid) await free(older);
    },
    async find(root, path) {
      if (ttlMs <= 0) return undefined;
      const key = keyOf(root, path);
      const record = await state.get<PartialRecord>(key);
      if (!record || record.root !== root || record.path !== path) return undefined;
      if (expired(record)) {
        await drop(key, record);
        return undefined;
      }
      return { size: record.size, keptAt: record.keptAt, open: async () => readObject(bucket, record, 0) };
    },
    async drop(root, path) {
      const key = keyOf(root, path);
      const record = await state.get<PartialRecord>(key);
      if (record) await drop(key, record);
    },
    async bytesOf(root) {
      let bytes = 0;
      for await (const { value } of state.scan<PartialRecord>(`${rootKey(root)}.*`)) if (value.root === root && !expired(value)) bytes += value.size;
      return bytes;
    },
    async sweep() {
      let removed = 0;
      for await (const { key, value } of state.scan<PartialRecord>("p.>")) {
        if (!expired(value)) continue;
        await drop(key, value);
        removed++;
      }
      return removed;
    },
  };
}
