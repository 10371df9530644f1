import { trace } from "@opentelemetry/api";
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
 * Fields whose values are replaced by "[Redacted]" in every log line, at the
 * top of the logged object and up to two levels down: passwords and their
 * hashes, sealed secrets, an endpoint's client key, anything named secret.
 * Defence in depth: code never logs a secret on purpose (an endpoint logged
 * whole, a config object, a request, must still not show one). pino's paths
 * take one `*` per level, so each depth is listed.
 */
export const REDACTED_PATHS = [
  "password",
  "*.password",
  "*.*.password",
  "passwordHash",
  "*.passwordHash",
  "*.*.passwordHash",
  "sealed",
  "*.sealed",
  "*.*.sealed",
  "clientCertificate.key",
  "*.clientCertificate.key",
  "secret",
  "*.secret",
  "*.*.secret",
];

/**
 * The root logger of a process: JSON lines with service and version on each.
 * Modules take `log.child({ component })`; sessions `log.child({ connId, user })`.
 * Secret-bearing fields are redacted (REDACTED_PATHS). A line written inside a
 * span carries its trace id (`traceId`), so a log panel can jump to the trace
 * (a transfer's line to its file's trace).
 */
export function createLogger({ service, version = "0.1.0", level = "info", destination }: LoggerOptions): Logger {
  return pino(
    {
      level,
      base: { service, version },
      redact: { paths: REDACTED_PATHS, censor: "[Redacted]" },
      timestamp: pino.stdTimeFunctions.isoTime,
      mixin: () => {
        const span = trace.getActiveSpan();
        return span?.isRecording() ? { traceId: span.spanContext().traceId } : {};
      },
    },
    destination ?? standardOutput(),
  );
}

/** Longest a log line waits before it is written, and most bytes gathered before a write. */
const FLUSH_AFTER_MS = 10;
const FLUSH_AT_BYTES = 64 * 1024;

/**
 * Standard output as a log destination, written in batches. On Linux a pipe
 * makes process.stdout synchronous, so one write per line cost a system call
 * and a wake-up of the reading process for every line (about a third of a
 * millisecond of a login here). Lines are gathered for up to 10 ms or 64 KiB
 * and written at once; whatever is pending is written when the process exits
 * (normally or on an uncaught error), so only a SIGKILL can lose the last
 * 10 ms. Node's own process.stdout, not pino.destination(): sonic-boom's
 * exit-time flush retries a failed write forever, so a service whose stdout
 * reader died (a killed supervisor) would hang in process.exit instead of
 * stopping. A write error (EPIPE) only loses log lines; it must not crash the
 * service either.
 */
function standardOutput(): DestinationStream {
  if (process.stdout.listenerCount("error") === 0) process.stdout.on("error", () => undefined);
  let pending: string[] = [];
  let bytes = 0;
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    if (pending.length === 0) return;
    const text = pending.join("");
    pending = [];
    bytes = 0;
    process.stdout.write(text);
  };
  process.once("exit", flush);
  return {
    write(line: string) {
      pending.push(line);
      bytes += line.length;
      if (bytes >= FLUSH_AT_BYTES) flush();
      else timer ??= setTimeout(flush, FLUSH_AFTER_MS).unref();
    },
  };
}
