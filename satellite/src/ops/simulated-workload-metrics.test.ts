import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { SimulatedCluster, versionedServiceManifests } from "../cluster/sim/index.js";
import { startOpsServer } from "./ops-server.js";
import { simulatedWorkloadMetrics, WORKLOAD_METRICS_PATH } from "./simulated-workload-metrics.js";

describe("the simulated workloads' metrics on the satellite's ops server", () => {
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  it("serves every simulated cluster's workload metrics at one fixed path, told apart by cluster", async () => {
    const clusters = await Promise.all(
      ["prod-a", "prod-b"].map((name) =>
        SimulatedCluster.start({ name, readinessDelayMs: 0, traffic: { requestsPerSecond: 50, tickMs: 3_600_000 } }),
      ),
    );
    for (const cluster of clusters) {
      closers.push(() => cluster.close());
      // The simulated clock starts before the route exists, so exactly 2 s of traffic go through it.
      const now = performance.now();
      await cluster.traffic?.tick(now);
      for (const object of versionedServiceManifests({
        namespace: "default",
        service: "catalog",
        versions: [{ version: "v1", replicas: 1 }],
      })) {
        cluster.createObject(object);
      }
      await cluster.traffic?.tick(now + 2_000);
    }
    const ops = await startOpsServer("127.0.0.1", 0, new Registry(), () => ({ ok: true }), {
      [WORKLOAD_METRICS_PATH]: () => simulatedWorkloadMetrics({ simulatedClusters: () => clusters }),
    });
    closers.push(() => ops.close());

    const response = await fetch(`${ops.url}${WORKLOAD_METRICS_PATH}`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/plain");
    const text = await response.text();
    expect(text.match(/^# TYPE http_requests_total counter$/gm)).toHaveLength(1);
    for (const cluster of ["prod-a", "prod-b"]) {
      expect(text).toContain(`http_requests_total{cluster="${cluster}",service="catalog",version="v1",code="200"} 100`);
    }

    // A satellite with real clusters has no simulated workloads: 404, not an empty page.
    expect(await simulatedWorkloadMetrics({ simulatedClusters: () => [] })).toBeUndefined();
  });
});
