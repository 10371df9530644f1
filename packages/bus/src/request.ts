import { SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { type NatsConnection, RequestError, TimeoutError } from "@nats-io/nats-core";
import { type Subject, WharfError } from "@wharf/contracts";
import { readError } from "./errors.js";
import type { BusMetrics } from "./metrics.js";
import { headersWithTrace } from "./trace-headers.js";

export interface RequestOptions {
  timeoutMs: number;
  /** Where the request's duration and outcome are counted. */
  metrics?: Pick<BusMetrics, "requestDuration">;
}

/**
 * Sends a request and returns the reply body. The trace context travels in the
 * headers; an error reply, no responders and a timeout all become WharfErrors
 * (the last two retryable: WHARF_UNAVAILABLE and WHARF_DEADLINE_EXCEEDED).
 */
export async function request(nc: NatsConnection, subject: Subject, body: Uint8Array, { timeoutMs, metrics }: RequestOptions): Promise<Uint8Array> {
  const tracer = trace.getTracer("wharf-bus");
  return tracer.startActiveSpan(
    `send ${subject}`,
    { kind: SpanKind.CLIENT, attributes: { "messaging.system": "nats", "messaging.destination.name": subject } },
    async (span) => {
      const stopTimer = metrics?.requestDuration.startTimer({ subject });
      try {
        const reply = await nc.request(subject, body, { timeout: timeoutMs, headers: headersWithTrace() });
        const error = readError(reply.headers);
        if (error) throw error;
        stopTimer?.({ outcome: "ok" });
        return reply.data;
      } catch (reason) {
        const error = toWharfError(reason, subject);
        stopTimer?.({ outcome: error.code });
        span.setStatus({ code: SpanStatusCode.ERROR, message: error.code });
        throw error;
      } finally {
        span.end();
      }
    },
  );
}

function toWharfError(reason: unknown, subject: string): WharfError {
  if (reason instanceof WharfError) return reason;
  if (reason instanceof RequestError && reason.isNoResponders()) {
    return new WharfError("WHARF_UNAVAILABLE", `no service answers ${subject}`, { cause: reason });
  }
  if (reason instanceof TimeoutError || (reason instanceof RequestError && reason.cause instanceof TimeoutError)) {
    return new WharfError("WHARF_DEADLINE_EXCEEDED", `${subject} did not answer in time`, { cause: reason });
  }
  return new WharfError("WHARF_UNAVAILABLE", `request on ${subject} failed`, { cause: reason });
}
