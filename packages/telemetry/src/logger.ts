import { pino, type DestinationStream, type Logger } from "pino";

export type { Logger } from "pino";

export interface LoggerOptions {
  service: string;
  version?: string;
  level?: string;
  /** Where lines go; standard output by default. */
  destination?: DestinationStream;
}

/**
 * The root logger of a process: JSON lines with service and version on each.
 * Modules take `log.child({ component })`; sessions `log.child({ connId, user })`.
 * Password fields are redacted wherever they appear.
 */
export function createLogger({ service, version = "0.1.0", level = "info", destination }: LoggerOptions): Logger {
  return pino(
    {
      level,
      base: { service, version },
      redact: { paths: ["password", "*.password", "passwordHash", "*.passwordHash"], censor: "[redacted]" },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination ?? standardOutput(),
  );
}

/**
 * Standard output as a log destination. Node's own process.stdout, not
 * pino.destination(): sonic-boom's exit-time flush retries a failed write
 * forever, so a service whose stdout reader died (a killed supervisor) would
 * hang in process.exit instead of stopping. A write error (EPIPE) only loses
 * log lines; it must not crash the service either.
 */
function standardOutput(): DestinationStream {
  if (process.stdout.listenerCount("error") === 0) process.stdout.on("error", () => undefined);
  return process.stdout;
}
