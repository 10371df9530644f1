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
    destination ?? pino.destination({ fd: 1, sync: false }),
  );
}
