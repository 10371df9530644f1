import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, readdir, readFile, rename, rm, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { WharfError } from "@wharf/contracts";
import type { PartialUploads, TempUpload } from "./file-store.js";

/**
 * Cut uploads kept for resume (REST n + STOR, APPE), one per name, in
 * <data>/partials/: the bytes (`<key>.part`) and where they belong
 * (`<key>.json`). They are never listed or read as the file; a resumed upload
 * starts from them, and they expire after `ttlMs`.
 */
export async function createPartialUploads(dir: string, { ttlMs, now = Date.now }: { ttlMs: number; now?: () => number }): Promise<PartialUploads> {
  await mkdir(dir, { recursive: true });
  const keyOf = (root: string, path: string) => createHash("sha256").update(`${root}\0${path}`).digest("hex");
  const files = (key: string) => ({ part: join(dir, `${key}.part`), meta: join(dir, `${key}.json`) });
  const remove = async (key: string) => {
    const { part, meta } = files(key);
    await rm(meta, { force: true });
    await rm(part, { force: true });
  };
  const readMeta = async (key: string) => {
    try {
      return JSON.parse(await readFile(files(key).meta, "utf8")) as { root: string; path: string; size: number; keptAt: number };
    } catch {
      return undefined;
    }
  };
  return {
    enabled: ttlMs > 0,
    async keep(temp, root, path, size) {
      const tempPath = pathOf(temp);
      await temp.finish();
      const key = keyOf(root, path);
      const { part, meta } = files(key);
      await remove(key);
      // The record first, then the bytes: a sweep never finds these bytes without their record, and a
      // reader that finds the record before the bytes arrive finds no bytes (no partial yet).
      const handle = await open(meta, "w", 0o640);
      try {
        await handle.writeFile(JSON.stringify({ root, path, size, keptAt: now() }));
        await handle.datasync();
      } finally {
        await handle.close();
      }
      await rename(tempPath, part);
    },
    async find(root, path) {
      if (ttlMs <= 0) return undefined;
      const key = keyOf(root, path);
      const meta = await readMeta(key);
      if (!meta || meta.root !== root || meta.path !== path) return undefined;
      if (now() - meta.keptAt >= ttlMs) {
        await remove(key);
        return undefined;
      }
      const info = await stat(files(key).part).catch(() => undefined);
      // The bytes must all be there: a kept partial is never read past what was written.
      if (!info || info.size < meta.size) return undefined;
      const part = files(key).part;
      return {
        size: meta.size,
        keptAt: meta.keptAt,
        open: async () => {
          const stream = createReadStream(part, { highWaterMark: 256 * 1024 });
          await new Promise<void>((ok, fail) => stream.once("open", () => ok()).once("error", fail));
          return stream as Readable;
        },
      };
    },
    async drop(root, path) {
      // Called after every commit, and almost always there is nothing to drop: one unlink finds out.
      const { part, meta } = files(keyOf(root, path));
      try {
        await unlink(meta);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
        throw error;
      }
      await rm(part, { force: true });
    },
    async bytesOf(root) {
      let bytes = 0;
      for (const name of await readdir(dir)) {
        if (!name.endsWith(".json")) continue;
        const meta = await readMeta(name.slice(0, -".json".length));
        if (meta?.root === root && now() - meta.keptAt < ttlMs) bytes += meta.size;
      }
      return bytes;
    },
    async sweep() {
      let removed = 0;
      const names = new Set(await readdir(dir));
      for (const name of names) {
        const key = name.replace(/\.(part|json)$/, "");
        if (name.endsWith(".json")) {
          const meta = await readMeta(key);
          if (!meta || now() - meta.keptAt >= ttlMs) {
            await remove(key);
            removed++;
          }
        } else if (!names.has(`${key}.json`)) {
          // Bytes without their record belong to no one (left by a crash in drop()).
          await rm(join(dir, name), { force: true });
          removed++;
        }
      }
      return removed;
    },
  };
}

/** The disk path of a temp upload of the filesystem backend (the only kind its partials can keep). */
function pathOf(temp: TempUpload): string {
  const path = (temp as { path?: unknown }).path;
  if (typeof path !== "string") throw new WharfError("WHARF_INTERNAL", "a partial of the filesystem backend must come from its temp files");
  return path;
}
