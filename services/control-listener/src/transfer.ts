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
  const gone = new Promise<never>((_, reject) => {
    socket.once("close", () => reject(lost()));
    socket.once("error", () => reject(lost()));
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
  return bytes;
}

/** Yields the client's bytes from the data connection; a reset or a dropped connection throws WHARF_TRANSFER_ABORTED. */
export async function* receiveFromClient(socket: Socket): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of socket) yield chunk as Buffer;
  } catch (error) {
    throw new WharfError("WHARF_TRANSFER_ABORTED", "data connection lost", { cause: error });
  }
}
