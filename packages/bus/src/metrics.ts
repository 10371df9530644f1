import { Counter, Gauge, Histogram, type Registry } from "prom-client";

/** A service's NATS metrics: its connection's state and its requests' latency. */
export interface BusMetrics {
  connected: Gauge;
  reconnects: Counter;
  requestDuration: Histogram<"subject" | "outcome">;
}

/** Subjects come from the one table in @wharf/contracts and outcomes are WharfError codes: both bounded. */
export function createBusMetrics(registry: Registry): BusMetrics {
  return {
    connected: new Gauge({ name: "wharf_nats_connected", help: "1 while this service is connected to NATS, 0 while it is not (it keeps reconnecting).", registers: [registry] }),
    reconnects: new Counter({ name: "wharf_nats_reconnects_total", help: "Times this service reconnected to NATS after losing its connection.", registers: [registry] }),
    requestDuration: new Histogram({
      name: "wharf_bus_request_duration_seconds",
      help: "NATS requests this service made (a listener's login checks to auth), by subject and outcome (ok, or the error's code).",
      labelNames: ["subject", "outcome"] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
  };
}
