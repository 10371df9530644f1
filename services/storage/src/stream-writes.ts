import { once } from "node:events";
import type { ServerWritableStream } from "@grpc/grpc-js";

/**
 * Writes one message to a server stream and, when gRPC's buffer is full, waits
 * for room. Resolves false when the call ended instead (cancelled or closed):
 * grpc-js never calls back pending writes of a cancelled call, so waiting for
 * 'drain' alone would hang the handler and keep its file or folder open.
 */
export async function writeOrStop<Req, Res>(call: ServerWritableStream<Req, Res>, message: Res): Promise<boolean> {
  if (call.cancelled || call.destroyed) return false;
  if (call.write(message)) return true;
  const ended = new AbortController();
  const stopped = await Promise.race([
    once(call, "drain", { signal: ended.signal }).then(() => false),
    once(call, "cancelled", { signal: ended.signal }).then(() => true),
    once(call, "close", { signal: ended.signal }).then(() => true),
  ]).finally(() => ended.abort());
  return !stopped && !call.cancelled;
}
