import { collectDefaultMetrics, Registry } from "prom-client";

/**
 * One registry per process, with the default process metrics and a `service`
 * label on every series. Services register their own metrics on it.
 */
export function createMetricsRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return registry;
}
