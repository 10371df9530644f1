import { createHash } from "node:crypto";
import { type NatsConnection, openBucket } from "@wharf/bus";
import { buckets, type FileStoredEvent } from "@wharf/contracts";
import { z } from "zod";

/**
 * What storage records about each committed version (DESIGN.md §4): its
 * checksum and size, who sent it (user, session, port, upload id), when, and
 * how the stream ended; plus the identity of the stored file (the backend's
 * version id, size, modification time) it describes, so a file changed since (MFMT, or anything
 * outside Wharf) is never answered from a stale record.
 */
export const FileMetadata = z.object({
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  size: z.number().int().min(0),
  user: z.string(),
  sessionId: z.string(),
  portAlias: z.string(),
  uploadId: z.string(),
  streamEnd: z.string(),
  storedAt: z.string(),
  disk: z.object({ version: z.string(), size: z.number(), mtimeMs: z.number() }),
});
export type FileMetadata = z.infer<typeof FileMetadata>;

export interface FileMetadataStore {
  put(root: string, path: string, metadata: FileMetadata): Promise<void>;
  get(root: string, path: string): Promise<FileMetadata | undefined>;
  delete(root: string, path: string): Promise<void>;
  /** Moves a file's record with a rename (a folder's files keep theirs under the old path: they are recomputed when asked). */
  move(root: string, from: string, to: string): Promise<void>;
}

/**
 * File metadata in the `wharf_files` KV bucket (one key per root and path,
 * hashed, since paths hold characters KV keys cannot), shared by every
 * storage instance.
 */
export async function createFileMetadataStore(nc: NatsConnection, { replicas = 1 } = {}): Promise<FileMetadataStore> {
  const kv = await openBucket(nc, buckets.files, { replicas });
  const keyOf = (root: string, path: string) => createHash("sha256").update(`${root}\0${path}`).digest("hex");
  const get = async (root: string, path: string) => {
    const entry = await kv.get(keyOf(root, path));
    if (entry?.operation !== "PUT") return undefined;
    try {
      return FileMetadata.safeParse(entry.json()).data;
    } catch {
      return undefined;
    }
  };
  return {
    put: async (root, path, metadata) => {
      await kv.put(keyOf(root, path), JSON.stringify(metadata));
    },
    get,
    delete: async (root, path) => {
      await kv.delete(keyOf(root, path));
    },
    move: async (root, from, to) => {
      if (keyOf(root, from) === keyOf(root, to)) return;
      const metadata = await get(root, from);
      if (metadata) await kv.put(keyOf(root, to), JSON.stringify(metadata));
      await kv.delete(keyOf(root, from));
    },
  };
}

/** Records a committed version's metadata, with the identity of the stored file it describes. */
export async function recordCommit(files: FileMetadataStore, event: FileStoredEvent, disk: FileMetadata["disk"]): Promise<void> {
  const { sha256, size, user, sessionId, portAlias, uploadId, streamEnd, storedAt } = event;
  await files.put(event.root, event.path, { sha256, size, user, sessionId, portAlias, uploadId, streamEnd, storedAt, disk });
}
