import { Readable } from "node:stream";
import type { FileStoredEvent, StorageClient } from "@wharf/contracts";
import { PushError } from "./ftp-push.js";

/**
 * A stored file as a stream, once its first bytes came: storage that cannot
 * be read fails here, with its own reason, before anything is sent to the
 * partner. A read that stalls (no chunk for `stallMs`: a hung disk, a
 * half-open connection) fails too: the partner's side cannot notice it, since
 * basic-ftp's own timeout only watches the partner. A stream abandoned
 * halfway (the partner cut the upload) ends its storage read.
 */
export async function openStoredFile(storage: Pick<StorageClient, "read">, event: Pick<FileStoredEvent, "root" | "path">, { stallMs }: { stallMs: number }): Promise<Readable> {
  const chunks = storage.read({ root: event.root, path: event.path })[Symbol.asyncIterator]();
  const next = () => within(chunks.next(), stallMs, `storage sent nothing for ${stallMs} ms`);
  const first = await next().catch(async (error: unknown) => {
    await chunks.return?.().catch(() => undefined);
    throw new PushError(`storage could not be read: ${error instanceof Error ? error.message : String(error)}`, true, { cause: error });
  });
  return Readable.from(
    (async function* () {
      try {
        if (first.done) return;
        yield first.value;
        for (let chunk = await next(); !chunk.done; chunk = await next()) yield chunk.value;
      } finally {
        // Not awaited: a stalled read's return() would wait for the chunk that never comes.
        void chunks.return?.().catch(() => undefined);
      }
    })(),
  );
}

/** The promise's value, or a rejection once `ms` passed without one. */
async function within<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
