import { Readable } from "node:stream";
import type { FileStoredEvent, StorageClient } from "@wharf/contracts";
import { PushError } from "./ftp-push.js";

/**
 * A stored file as a stream, once its first bytes came: storage that cannot
 * be read fails here, with its own reason, before anything is sent to the
 * partner. A stream abandoned halfway (the partner cut the upload) ends its
 * storage read.
 */
export async function openStoredFile(storage: Pick<StorageClient, "read">, event: Pick<FileStoredEvent, "root" | "path">): Promise<Readable> {
  const chunks = storage.read({ root: event.root, path: event.path })[Symbol.asyncIterator]();
  const first = await chunks.next().catch((error: unknown) => {
    throw new PushError(`storage could not be read: ${error instanceof Error ? error.message : String(error)}`, true, { cause: error });
  });
  return Readable.from(
    (async function* () {
      try {
        if (first.done) return;
        yield first.value;
        for (let next = await chunks.next(); !next.done; next = await chunks.next()) yield next.value;
      } finally {
        await chunks.return?.();
      }
    })(),
  );
}
