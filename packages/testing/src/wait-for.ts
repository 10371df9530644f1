/**
 * Polls a condition until it holds or the time is up: for waiting on another
 * process's state (a port that opens, a file that appears), never as a sleep.
 */
export async function waitFor<T>(probe: () => Promise<T | undefined> | T | undefined, { timeoutMs = 10_000, intervalMs = 50, what = "condition" } = {}): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`, { cause: lastError });
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
