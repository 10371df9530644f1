import { Counter, Histogram, type Registry } from "prom-client";

export interface OutboundMetrics {
  events: Counter<"outcome">;
  deliveries: Counter<"pipeline" | "result">;
  deliveryDuration: Histogram<"pipeline">;
  pulls: Counter<"pull" | "result">;
}

/** Outbound's metrics (docs/metrics.md). Pipeline names come from the configuration, so the label's values are bounded. */
export function createOutboundMetrics(registry: Registry): OutboundMetrics {
  return {
    events: new Counter({
      name: "wharf_outbound_events_total",
      help: "file.stored events handled by outbound, by outcome (matched, no_pipeline, malformed).",
      labelNames: ["outcome"] as const,
      registers: [registry],
    }),
    deliveries: new Counter({
      name: "wharf_outbound_deliveries_total",
      help: "Deliveries of stored files to partners, by pipeline and result (delivered, duplicate, retry, dead_lettered).",
      labelNames: ["pipeline", "result"] as const,
      registers: [registry],
    }),
    deliveryDuration: new Histogram({
      name: "wharf_outbound_delivery_duration_seconds",
      help: "Time to deliver one file to a partner (connect, TLS, login, upload, rename, size check), by pipeline.",
      labelNames: ["pipeline"] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers: [registry],
    }),
    pulls: new Counter({
      name: "wharf_outbound_pulls_total",
      help: "Files pulled from partners, by pull and result (fetched, failed, poll_failed).",
      labelNames: ["pull", "result"] as const,
      registers: [registry],
    }),
  };
}
