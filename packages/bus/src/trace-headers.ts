import { headers as createHeaders, type MsgHdrs } from "@nats-io/nats-core";
import { extractTraceContext, injectTraceContext } from "@wharf/telemetry";
import type { Context } from "@opentelemetry/api";

/** New NATS headers carrying the active W3C trace context. */
export function headersWithTrace(from?: Context): MsgHdrs {
  const hdrs = createHeaders();
  injectTraceContext({ get: (key) => (hdrs.has(key) ? hdrs.get(key) : undefined), set: (key, value) => hdrs.set(key, value) }, from);
  return hdrs;
}

/** The trace context a NATS message carries (or the active one when it has none). */
export function traceContextOf(hdrs: MsgHdrs | undefined): Context {
  return extractTraceContext({
    get: (key) => (hdrs?.has(key) ? hdrs.get(key) : undefined),
    set: () => undefined,
  });
}
