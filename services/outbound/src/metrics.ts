import { Counter, Gauge, Histogram, type Registry } from "prom-client";

/** What the queue gauges read at each scrape: the durable consumer's backlog and the dead-letter stream's size. */
export interface QueueReadings {
  /** file.stored events outbound has not taken yet, and those taken but not yet acknowledged. */
  consumer(): Promise<{ pending: number; inProgress: number }>;
  /** Dead letters waiting for a replay. */
  deadLetters(): Promise<number>;
}

export interface OutboundMetrics {
  events: Counter<"outcome">;
  deliveries: Counter<"pipeline" | "result">;
  deliveryDuration: Histogram<"pipeline">;
  pulls: Counter<"pull" | "result">;
  sessions: Counter<"result">;
}

/** Outbound's metrics (docs/metrics.md). Pipeline names come from the configuration, so the label's values are bounded. */
export function createOutboundMetrics(registry: Registry, queues?: QueueReadings): OutboundMetrics {
  if (queues) registerQueueGauges(registry, queues);
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
    sessions: new Counter({
      name: "wharf_outbound_partner_sessions_total",
      help: "Sessions with partners taken for a delivery: opened (new connection, TLS and login), reused (left open by an earlier delivery), stale (an idle one the partner had closed).",
      labelNames: ["result"] as const,
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

/**
 * Gauges read from JetStream when Prometheus scrapes: a reading that fails
 * (NATS unreachable) leaves the gauge out of that scrape rather than failing
 * /metrics or showing a wrong zero.
 */
function registerQueueGauges(registry: Registry, queues: QueueReadings): void {
  new Gauge({
    name: "wharf_outbound_queue_events",
    help: "file.stored events waiting for outbound (state=pending: not taken yet; state=in_progress: being delivered or waiting for a retry).",
    labelNames: ["state"] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const readings = await queues.consumer().catch(() => undefined);
      if (!readings) return;
      this.set({ state: "pending" }, readings.pending);
      this.set({ state: "in_progress" }, readings.inProgress);
    },
  });
  new Gauge({
    name: "wharf_outbound_dead_letters",
    help: "Deliveries in the dead-letter stream (WHARF_DLQ), waiting for wharf dlq replay.",
    registers: [registry],
    async collect() {
      this.reset();
      const count = await queues.deadLetters().catch(() => undefined);
      if (count !== undefined) this.set(count);
    },
  });
}
