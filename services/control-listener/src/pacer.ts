import { setTimeout as delay } from "node:timers/promises";

export interface PacerClock {
  now(): number;
  sleep(ms: number): Promise<unknown>;
}

const realClock: PacerClock = { now: () => performance.now(), sleep: (ms) => delay(ms) };

/** How far behind its rate a transfer may fall and then catch up at full speed. */
const MAX_BURST_MS = 1_000;

/**
 * A user's bandwidth limit: after each chunk, waits until the bytes moved so
 * far are due at `bytesPerSecond`. Waiting holds the next read (uploads: TCP
 * flow control slows the client) or the next write (downloads). A peer that
 * was slow for a while earns at most a second's worth of catching up.
 * Undefined when there is no limit (0).
 */
export function createPacer(bytesPerSecond: number, clock: PacerClock = realClock): ((bytes: number) => Promise<void>) | undefined {
  if (!bytesPerSecond) return undefined;
  let due: number | undefined;
  return async (bytes) => {
    const now = clock.now();
    due = Math.max(due ?? now, now - MAX_BURST_MS) + (bytes / bytesPerSecond) * 1_000;
    const wait = due - now;
    if (wait >= 1) await clock.sleep(wait);
  };
}

/** Yields the source's chunks no faster than the pacer allows. */
export async function* paced(source: AsyncIterable<Uint8Array>, pace: ((bytes: number) => Promise<void>) | undefined): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    yield chunk;
    if (pace) await pace(chunk.byteLength);
  }
}
