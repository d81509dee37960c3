import type { ClusterRegistry } from "../cluster/cluster-registry.js";
import { mergeExpositions } from "./merge-expositions.js";

/**
 * Path, on the satellite's ops server, of the simulated workloads' metrics (`http_requests_total`,
 * `http_request_duration_seconds`, …) of all its simulated clusters, each sample labelled with its
 * `cluster`. The ops port is fixed by configuration, so a Prometheus can scrape it from a static
 * configuration — unlike the simulated clusters' own ports, which are picked at start.
 */
export const WORKLOAD_METRICS_PATH = "/metrics/workloads";

/** The Prometheus text format's content type. */
const TEXT_FORMAT = "text/plain; version=0.0.4; charset=utf-8";

/** The merged metrics of the satellite's simulated clusters; undefined (404) with real clusters. */
export async function simulatedWorkloadMetrics(
  clusters: Pick<ClusterRegistry, "simulatedClusters">,
): Promise<{ contentType: string; body: string } | undefined> {
  const simulated = clusters.simulatedClusters();
  const expositions = await Promise.all(
    simulated.map(async (cluster) => ({ cluster: cluster.name, metrics: await cluster.metrics() })),
  );
  const served = expositions.filter((entry) => entry.metrics !== undefined);
  if (served.length === 0) return undefined;
  return {
    contentType: TEXT_FORMAT,
    body: mergeExpositions(
      served.map((entry) => ({ labels: { cluster: entry.cluster }, text: entry.metrics?.text ?? "" })),
    ),
  };
}
