import { collectDefaultMetrics, Registry } from "prom-client";

/** A Prometheus registry for one component, with Node's default process metrics and a prefix. */
export function createMetricsRegistry(component: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ component });
  collectDefaultMetrics({ register: registry, prefix: "sentra_" });
  return registry;
}
