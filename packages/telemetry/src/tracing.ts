import { context, propagation, type Context, type TextMapGetter, type TextMapSetter, trace, type Tracer } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, type SpanProcessor } from "@opentelemetry/sdk-trace-base";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from "@opentelemetry/semantic-conventions";

export interface TracingOptions {
  service: string;
  version?: string;
  /** OTLP/HTTP endpoint; when unset no spans leave the process. */
  otlpEndpoint?: string | undefined;
  /** Extra processors, e.g. a SimpleSpanProcessor over an InMemorySpanExporter in tests. */
  spanProcessors?: SpanProcessor[];
}

export interface Tracing {
  tracer: Tracer;
  shutdown(): Promise<void>;
}

/**
 * Starts the OpenTelemetry SDK for this process: W3C trace context as the
 * propagator, and an OTLP exporter when an endpoint is configured (the
 * exporter itself honours the standard OTEL_EXPORTER_OTLP_* variables).
 */
export function startTracing({ service, version = "0.1.0", otlpEndpoint, spanProcessors = [] }: TracingOptions): Tracing {
  const processors = [...spanProcessors];
  // OTEL_EXPORTER_OTLP_ENDPOINT is a base URL; traces go to <base>/v1/traces (the OTLP/HTTP convention).
  if (otlpEndpoint) processors.push(new BatchSpanProcessor(new OTLPTraceExporter({ url: new URL("v1/traces", otlpEndpoint.endsWith("/") ? otlpEndpoint : `${otlpEndpoint}/`).href })));
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: service, [ATTR_SERVICE_VERSION]: version }),
    spanProcessors: processors,
  });
  provider.register({ propagator: new W3CTraceContextPropagator() });
  return { tracer: trace.getTracer(service, version), shutdown: () => provider.shutdown() };
}

/** A carrier of string headers, such as NATS headers or gRPC metadata. */
export interface HeaderCarrier {
  get(key: string): string | undefined;
  set(key: string, value: string): void;
}

const setter: TextMapSetter<HeaderCarrier> = { set: (carrier, key, value) => carrier.set(key, value) };
const getter: TextMapGetter<HeaderCarrier> = {
  get: (carrier, key) => carrier.get(key),
  keys: () => ["traceparent", "tracestate"],
};

/** Writes the active trace context (traceparent, tracestate) into a carrier. */
export function injectTraceContext(carrier: HeaderCarrier, from: Context = context.active()): void {
  propagation.inject(from, carrier, setter);
}

/** Reads a trace context from a carrier, to parent the spans of the receiving side. */
export function extractTraceContext(carrier: HeaderCarrier): Context {
  return propagation.extract(context.active(), carrier, getter);
}
