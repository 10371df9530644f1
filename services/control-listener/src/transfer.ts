import { once } from "node:events";
import type { Socket } from "node:net";
import { WharfError } from "@wharf/contracts";
import type { FtpSession } from "./session.js";

const CLOSE_WAIT_MS = 10_000;

/**
 * RFC 4217 §10.2: a transfer whose protection level breaks the port's policy
 * is refused with 521 before any 1xx, on the transfer command itself.
 */
export function refuseClearData(session: FtpSession): boolean {
  if (!session.settings.requireProtectedData || session.protection === "P") return false;
  session.reply(521, "Data connections must be encrypted (PROT P).");
  return true;
}

const lost = () => new WharfError("WHARF_TRANSFER_ABORTED", "data connection lost");

/**
 * Sends bytes to the client over the data connection, pausing the source while
 * the socket's buffer is full, then closes the connection the polite way (TLS
 * close_notify and FIN) and waits for the client to close its side, so the
 * 226 that follows never overtakes the data. Resolves with the byte count.
 */
export async function sendToClient(socket: Socket, source: AsyncIterable<Uint8Array>): Promise<number> {
  let bytes = 0;
  let failed = false;
  const gone = new Promise<never>((_, reject) => {
    socket.once("close", () => reject(lost()));
    socket.once("error", () => {
      failed = true;
      reject(lost());
    });
  });
  gone.catch(() => undefined);
  for await (const chunk of source) {
    if (socket.destroyed) throw lost();
    bytes += chunk.byteLength;
    if (!socket.write(chunk)) await Promise.race([once(socket, "drain"), gone]);
  }
  socket.end();
  // Read (and drop) whatever the client still sends, so its FIN is seen.
  socket.resume();
  const timer = setTimeout(() => socket.destroy(), CLOSE_WAIT_MS);
  await gone.catch(() => undefined);
  clearTimeout(timer);
  // A reset (or a stall) before the client closed its side: the data may not have arrived.
  if (failed) throw lost();
  return bytes;
}

/**
 * Reads the client's bytes from the data connection and hands each chunk to
 * `onChunk` (awaited, so a slow storage slows the client down). Resolves true
 * when the stream ended cleanly and false when it failed (reset, premature
 * close); an error thrown by `onChunk` (storage refused) propagates.
 */
export async function receiveUpload(socket: Socket, onChunk: (chunk: Buffer) => Promise<void>): Promise<boolean> {
  const reader = socket[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  for (;;) {
    let next: IteratorResult<Buffer>;
    try {
      next = await reader.next();
    } catch {
      return false;
    }
    if (next.done) return true;
    await onChunk(next.value);
  }
}
