/** The part of a logger shutdown needs (pino's Logger fits). */
export interface ShutdownLogger {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** One named step of a shutdown, run in order. */
export type ShutdownStep = readonly [name: string, run: () => unknown];

export interface ShutdownOptions {
  log: ShutdownLogger;
  /** The whole shutdown gives up after this long (keep it below k8s terminationGracePeriodSeconds). */
  graceMs: number;
  /**
   * Also shut down when standard input closes. A supervisor (`wharf start`) keeps
   * a pipe to each child; if the supervisor dies, even by SIGKILL, the pipe
   * closes and the child stops instead of living on as an orphan holding its ports.
   */
  stopWhenStdinCloses?: boolean;
}

/**
 * Runs the steps in order, each timed and logged, and resolves to true when
 * all of them finished within the grace period. A failing step is logged and
 * the next one still runs, so one stuck dependency cannot keep the rest open.
 */
export async function runShutdown(steps: readonly ShutdownStep[], { log, graceMs }: ShutdownOptions): Promise<boolean> {
  const deadline = Date.now() + graceMs;
  let clean = true;
  for (const [name, run] of steps) {
    const left = deadline - Date.now();
    if (left <= 0) {
      log.error({ step: name }, "shutdown grace period over; skipping the remaining steps");
      return false;
    }
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      const outcome = await Promise.race([
        Promise.resolve().then(run).then(() => "done" as const),
        new Promise<"timeout">((resolve) => {
          timer = setTimeout(() => resolve("timeout"), left);
        }),
      ]);
      if (outcome === "timeout") {
        log.error({ step: name, ms: Date.now() - started }, "shutdown step did not finish in the grace period");
        return false;
      }
      log.info({ step: name, ms: Date.now() - started }, "shutdown step done");
    } catch (error) {
      clean = false;
      log.error({ step: name, err: error }, "shutdown step failed");
    } finally {
      clearTimeout(timer);
    }
  }
  return clean;
}

const SIGNALS = ["SIGTERM", "SIGINT"] as const;

/**
 * Installs SIGTERM/SIGINT handlers that run the shutdown steps once and then
 * exit (0 when clean, 1 otherwise). Unhandled rejections are logged; an
 * uncaught exception starts the same shutdown and exits 1. Returns a function
 * that starts the shutdown, for a fatal error inside the process.
 */
export function onShutdown(options: ShutdownOptions, steps: readonly ShutdownStep[]): (reason: string) => Promise<void> {
  let running: Promise<void> | undefined;
  let failed = false;
  const shutdown = (reason: string) => {
    running ??= (async () => {
      options.log.info({ reason }, "shutting down");
      const clean = await runShutdown(steps, options);
      process.exit(clean && !failed ? 0 : 1);
    })();
    return running;
  };
  for (const signal of SIGNALS) process.once(signal, () => void shutdown(signal));
  // A rejected promise nobody awaited is a bug, but one partner's odd session must not stop every other one.
  process.on("unhandledRejection", (reason) => options.log.error({ err: reason }, "unhandled promise rejection; going on"));
  // After an uncaught exception the process state is unknown: stop in order, and exit non-zero.
  process.once("uncaughtException", (error) => {
    failed = true;
    options.log.error({ err: error }, "uncaught exception; shutting down");
    void shutdown("uncaught exception");
  });
  if (options.stopWhenStdinCloses) {
    process.stdin.once("close", () => void shutdown("supervisor gone (stdin closed)"));
    process.stdin.resume();
  }
  return shutdown;
}
