import { SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { headers as createHeaders, type Msg, type NatsConnection } from "@nats-io/nats-core";
import type { Subject } from "@wharf/contracts";
import type { Logger } from "@wharf/telemetry";
import { writeError } from "./errors.js";
import { traceContextOf } from "./trace-headers.js";

export type RequestHandler = (body: Uint8Array, msg: Msg) => Promise<Uint8Array>;

export interface ServedEndpoint {
  readonly subject: Subject;
  /** Stops taking requests and lets the ones in flight finish. */
  stop(): Promise<void>;
}

/**
 * Answers requests on a subject in a queue group, so several instances share
 * the load. Each request runs in a span parented by the caller's trace; a
 * thrown error is sent back in the error headers, never as a crash.
 */
export function serveRequests(
  nc: NatsConnection,
  { subject, queue, handler, log }: { subject: Subject; queue: string; handler: RequestHandler; log: Logger },
): ServedEndpoint {
  const tracer = trace.getTracer("wharf-bus");
  const inFlight = new Set<Promise<void>>();
  const sub = nc.subscribe(subject, {
    queue,
    callback: (err, msg) => {
      if (err) {
        log.error({ err, subject }, "subscription failed");
        return;
      }
      const parent = traceContextOf(msg.headers);
      const done = tracer
        .startActiveSpan(`process ${subject}`, { kind: SpanKind.SERVER, attributes: { "messaging.system": "nats" } }, parent, async (span) => {
          try {
            msg.respond(await handler(msg.data, msg));
          } catch (reason) {
            const hdrs = createHeaders();
            const error = writeError(hdrs, reason);
            if (error.code === "WHARF_INTERNAL") log.error({ err: reason, subject }, "request handler failed");
            span.setStatus({ code: SpanStatusCode.ERROR, message: error.code });
            msg.respond(new Uint8Array(), { headers: hdrs });
          } finally {
            span.end();
          }
        })
        .finally(() => inFlight.delete(done));
      inFlight.add(done);
    },
  });
  return {
    subject,
    stop: async () => {
      await sub.drain();
      await Promise.allSettled([...inFlight]);
    },
  };
}
