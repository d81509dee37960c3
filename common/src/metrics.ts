import { collectDefaultMetrics, Registry } from "prom-client";

/** A Prometheus registry for one component, with Node's default process metrics and a prefix. */
export function createMetricsRegistry(component: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ component });
  // Unprefixed (process_*, nodejs_*): the names stock Node.js dashboards and alerts expect.
  collectDefaultMetrics({ register: registry });
  return registry;
}
