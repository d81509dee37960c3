import { afterEach, describe, expect, it } from "vitest";
import { DEPLOYMENT_RESOURCE } from "./deployment-kind.js";
import { HTTP_ROUTE_RESOURCE } from "./http-route-kind.js";
import { SimulatedCluster } from "./simulated-cluster.js";
import { versionedServiceManifests } from "./versioned-service-manifests.js";

/** Requests per (service, version, code), from the cluster's own metrics. */
async function requestCounts(cluster: SimulatedCluster): Promise<Map<string, number>> {
  const metrics = await cluster.traffic?.metricsAsJSON();
  const counts = new Map<string, number>();
  for (const metric of metrics ?? []) {
    for (const value of metric.values) {
      const labels = value.labels as Record<string, string>;
      const key =
        metric.name === "http_requests_total"
          ? `${labels.service}@${labels.version}:${labels.code}`
          : metric.name === "sentra_sim_gateway_requests_total"
            ? `gateway ${labels.backend}:${labels.code}`
            : undefined;
      if (key !== undefined) counts.set(key, (counts.get(key) ?? 0) + value.value);
    }
  }
  return counts;
}

describe("simulated traffic through HTTPRoutes", () => {
  let cluster: SimulatedCluster | undefined;
  afterEach(async () => {
    await cluster?.close();
  });

  /** A cluster whose traffic only moves when the test ticks it (the timer is an hour away). */
  async function start(
    rps: number,
  ): Promise<{ cluster: SimulatedCluster; advance: (seconds: number) => Promise<void> }> {
    const started = await SimulatedCluster.start({
      name: "traffic",
      readinessDelayMs: 0,
      traffic: { requestsPerSecond: rps, tickMs: 3_600_000 },
    });
    cluster = started;
    started.ensureNamespace("shop");
    let now = performance.now();
    await started.traffic?.tick(now);
    return {
      cluster: started,
      // Resolves once every request sent has been answered by its version's server.
      advance: async (seconds) => {
        now += seconds * 1000;
        await started.traffic?.tick(now);
      },
    };
  }

  it("splits a route's requests exactly by backend weight and fails them at each version's error rate", async () => {
    const { cluster, advance } = await start(100);
    for (const object of versionedServiceManifests({
      namespace: "shop",
      service: "checkout",
      versions: [
        { version: "v1", replicas: 3 },
        { version: "v2", replicas: 1, errorRate: 0.1 },
      ],
    })) {
      cluster.createObject(object);
    }
    await advance(10);
    expect(Object.fromEntries(await requestCounts(cluster))).toEqual({
      "checkout@v1:200": 1000,
      "gateway checkout-v1:200": 1000,
    });

    cluster.patchObject(HTTP_ROUTE_RESOURCE, "shop", "checkout", {
      spec: {
        rules: [
          {
            backendRefs: [
              { name: "checkout-v1", port: 8080, weight: 80 },
              { name: "checkout-v2", port: 8080, weight: 20 },
            ],
          },
        ],
      },
    });
    await advance(10);
    const counts = await requestCounts(cluster);
    expect(counts.get("checkout@v1:200")).toBe(1800);
    // 20 % of 1000 requests, of which exactly every tenth failed.
    expect(counts.get("checkout@v2:200")).toBe(180);
    expect(counts.get("checkout@v2:500")).toBe(20);

    const exposition = await fetch(`${cluster.trafficMetricsUrl}`).then((response) => response.text());
    expect(exposition).toContain('http_requests_total{service="checkout",version="v2",code="500"} 20');
    expect(exposition).toContain("http_request_duration_seconds_bucket");
  });

  it("answers a backend without ready pods with gateway 503s the application never sees", async () => {
    const { cluster, advance } = await start(50);
    for (const object of versionedServiceManifests({
      namespace: "shop",
      service: "cart",
      versions: [
        { version: "v1", replicas: 2 },
        { version: "v2", replicas: 0 },
      ],
    })) {
      cluster.createObject(object);
    }
    cluster.patchObject(HTTP_ROUTE_RESOURCE, "shop", "cart", {
      spec: {
        rules: [
          {
            backendRefs: [
              { name: "cart-v1", weight: 50 },
              { name: "cart-v2", weight: 50 },
            ],
          },
        ],
      },
    });
    await advance(4);
    expect(Object.fromEntries(await requestCounts(cluster))).toEqual({
      "cart@v1:200": 100,
      "gateway cart-v1:200": 100,
      "gateway cart-v2:503": 100,
    });
  });

  it("shares a Service's requests between Deployments by ready replicas (what replica ratio relies on)", async () => {
    const { cluster, advance } = await start(100);
    for (const object of versionedServiceManifests({
      namespace: "shop",
      service: "search",
      route: "shared",
      versions: [
        { version: "v1", replicas: 3 },
        { version: "v2", replicas: 1 },
      ],
    })) {
      cluster.createObject(object);
    }
    await advance(10);
    let counts = await requestCounts(cluster);
    expect(counts.get("search@v1:200")).toBe(750);
    expect(counts.get("search@v2:200")).toBe(250);

    cluster.patchObject(DEPLOYMENT_RESOURCE, "shop", "search-v2", { spec: { replicas: 0 } });
    await new Promise((resolve) => setTimeout(resolve, 50)); // readiness catches up (delay 0)
    await advance(10);
    counts = await requestCounts(cluster);
    expect(counts.get("search@v1:200")).toBe(1750);
    expect(counts.get("search@v2:200")).toBe(250);
  });

  it("rejects HTTPRoute weights the Gateway API rejects", async () => {
    const { cluster } = await start(0);
    expect(() =>
      cluster.createObject({
        apiVersion: "gateway.networking.k8s.io/v1",
        kind: "HTTPRoute",
        metadata: { name: "bad", namespace: "shop" },
        spec: { rules: [{ backendRefs: [{ name: "x", weight: -1 }] }] },
      }),
    ).toThrow(/spec.rules\[0\].backendRefs\[0\].weight: must be an integer between 0 and 1000000/);
  });
});
