import type { KV, KvEntry } from "@nats-io/kv";
import { isRevisionConflict } from "@wharf/bus";
import { storage, WharfError } from "@wharf/contracts";
import { z } from "zod";
import type { ObjectBucket } from "./object-io.js";
import { dropDeleteMarker, scanKeyValues } from "./jetstream-scan.js";
import { checkRootName, normalizeVirtualPath } from "./paths.js";

/**
 * What the tree holds for a name: a folder, or a file naming the object
 * (name, nuid, size, chunk count) that holds its bytes, with its SHA-256.
 */
export const TreeEntry = z.discriminatedUnion("t", [
  z.object({ t: z.literal("d"), m: z.number() }),
  z.object({ t: z.literal("f"), m: z.number(), o: z.string(), n: z.string(), s: z.number().int().min(0), c: z.number().int().min(0), h: z.string() }),
]);
export type TreeEntry = z.infer<typeof TreeEntry>;
export type FileEntry = Extract<TreeEntry, { t: "f" }>;

export interface Found {
  entry: TreeEntry;
  revision: number;
}

/**
 * Longest tree key. A KV key is a NATS subject, and a client's whole PUB line
 * must fit the server's max_control_line (4 KiB by default).
 */
const MAX_KEY_CHARS = 3_000;

/**
 * Folders and files of every root in a KV bucket, one key per name: the
 * root's name and each path segment, base64url-encoded (KV keys allow only
 * a few characters), joined by "." so a folder's children are the subjects
 * `<folder>.*`. The tree is what makes a file visible: a commit is one
 * revision-checked write of its key.
 */
export class ObjectTree {
  constructor(
    private readonly kv: KV,
    private readonly bucket: ObjectBucket,
    private readonly kvName: string,
  ) {}

  /** The key of a location; "/" is the root's key, which has no entry (a root always exists). */
  keyOf(root: string, path: string): string {
    const segments = normalizeVirtualPath(path).split("/").filter(Boolean);
    const key = [checkRootName(root), ...segments].map((part) => Buffer.from(part).toString("base64url")).join(".");
    if (key.length > MAX_KEY_CHARS) throw new WharfError("WHARF_INVALID_PATH", "path is too long for the object store");
    return key;
  }

  isRootKey(key: string): boolean {
    return !key.includes(".");
  }

  parentOf(key: string): string {
    return key.slice(0, key.lastIndexOf("."));
  }

  nameOf(key: string): string {
    return this.isRootKey(key) ? "/" : Buffer.from(key.slice(key.lastIndexOf(".") + 1), "base64url").toString();
  }

  async get(key: string): Promise<Found | undefined> {
    if (this.isRootKey(key)) return { entry: { t: "d", m: 0 }, revision: 0 };
    return decode(await this.kv.get(key));
  }

  /** A folder that must exist (for a listing, or as the parent of a new name). */
  async folder(key: string): Promise<void> {
    const found = await this.get(key);
    if (!found) throw new WharfError("WHARF_NOT_FOUND", "no such file or folder");
    if (found.entry.t !== "d") throw new WharfError("WHARF_NOT_A_DIRECTORY", "not a folder");
  }

  /** The current entries directly under a folder key (`children`) or at any depth (`descendants`), read in bounded batches. */
  async *scan(key: string, depth: "children" | "descendants"): AsyncGenerator<{ key: string } & Found> {
    for await (const found of scanKeyValues(this.bucket.js, this.bucket.jsm, this.kvName, `${key}.${depth === "children" ? "*" : ">"}`)) {
      const entry = TreeEntry.safeParse(safeJson(found.value));
      if (entry.success) yield { key: found.key, entry: entry.data, revision: found.revision };
    }
  }

  /** Writes a new name; WHARF_ALREADY_EXISTS if it is taken (by anyone, at any moment: the server checks). */
  async create(key: string, entry: TreeEntry): Promise<number> {
    try {
      return await this.kv.create(key, JSON.stringify(entry));
    } catch (error) {
      if (isRevisionConflict(error)) throw new WharfError("WHARF_ALREADY_EXISTS", "already exists", { cause: error });
      throw unavailable(error);
    }
  }

  /** Replaces the entry at `revision`; resolves undefined if someone changed it since. */
  async update(key: string, entry: TreeEntry, revision: number): Promise<number | undefined> {
    try {
      return await this.kv.update(key, JSON.stringify(entry), revision);
    } catch (error) {
      if (isRevisionConflict(error)) return undefined;
      throw unavailable(error);
    }
  }

  /** Removes the entry if it is still at `revision`; resolves false if someone changed it since. */
  async remove(key: string, revision: number): Promise<boolean> {
    try {
      await this.kv.delete(key, { previousSeq: revision });
      await dropDeleteMarker(this.bucket.jsm, this.kvName, key).catch(() => undefined);
      return true;
    } catch (error) {
      if (isRevisionConflict(error)) return false;
      throw unavailable(error);
    }
  }

  toEntry(key: string, entry: TreeEntry): storage.Entry {
    return {
      name: this.nameOf(key),
      type: entry.t === "d" ? storage.EntryType.ENTRY_TYPE_DIRECTORY : storage.EntryType.ENTRY_TYPE_FILE,
      size: entry.t === "f" ? entry.s : 0,
      mtimeMs: Math.trunc(entry.m),
    };
  }
}

function decode(entry: KvEntry | null): Found | undefined {
  if (entry?.operation !== "PUT") return undefined;
  const parsed = TreeEntry.safeParse(safeJson(entry.value));
  return parsed.success ? { entry: parsed.data, revision: entry.revision } : undefined;
}

function safeJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(bytes).toString());
  } catch {
    return undefined;
  }
}

export function unavailable(error: unknown): WharfError {
  if (error instanceof WharfError) return error;
  return new WharfError("WHARF_UNAVAILABLE", "the object store is not available", { cause: error });
}
