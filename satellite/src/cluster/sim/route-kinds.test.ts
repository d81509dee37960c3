import { ApisApi, KubeConfig, type KubernetesObject, KubernetesObjectApi } from "@kubernetes/client-node";
import { afterEach, describe, expect, it } from "vitest";
import { SimulatedCluster } from "./simulated-cluster.js";
import { versionedServiceManifests } from "./versioned-service-manifests.js";

/** Requests each version of `service` served, from the cluster's own metrics. */
async function served(cluster: SimulatedCluster, service: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const metric of (await cluster.traffic?.metricsAsJSON()) ?? []) {
    if (metric.name !== "http_requests_total") continue;
    for (const { labels, value } of metric.values) {
      if (labels.service === service) counts[String(labels.version)] = (counts[String(labels.version)] ?? 0) + value;
    }
  }
  return counts;
}

describe("Istio VirtualServices and Ingresses in the simulated cluster", () => {
  let cluster: SimulatedCluster | undefined;
  afterEach(async () => {
    await cluster?.close();
  });

  async function start(): Promise<{
    sim: SimulatedCluster;
    objects: KubernetesObjectApi;
    advance(s: number): Promise<void>;
  }> {
    const sim = await SimulatedCluster.start({
      name: "kinds",
      readinessDelayMs: 0,
      traffic: { requestsPerSecond: 100, tickMs: 3_600_000 },
    });
    cluster = sim;
    sim.ensureNamespace("shop");
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromString(sim.kubeconfigYaml());
    let now = performance.now();
    await sim.traffic?.tick(now);
    return {
      sim,
      objects: KubernetesObjectApi.makeApiClient(kubeConfig),
      // Resolves once every request sent has been answered by its version's server.
      advance: async (seconds) => {
        now += seconds * 1000;
        await sim.traffic?.tick(now);
      },
    };
  }

  it("are discoverable, so generic clients resolve them, and validated as Istio's webhook and the API server do", async () => {
    const { sim, objects } = await start();
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromString(sim.kubeconfigYaml());
    const groups = await kubeConfig.makeApiClient(ApisApi).getAPIVersions();
    expect(groups.groups.map((group) => group.name)).toEqual(
      expect.arrayContaining(["networking.istio.io", "networking.k8s.io", "gateway.networking.k8s.io"]),
    );
    for (const object of versionedServiceManifests({
      namespace: "shop",
      service: "cart",
      routeKinds: ["VirtualService", "Ingress"],
      versions: [{ version: "v1", replicas: 1 }],
    })) {
      // KubernetesObjectApi finds the plural of each kind through discovery.
      await objects.create(object as KubernetesObject);
    }
    const read = await objects.read({
      apiVersion: "networking.istio.io/v1",
      kind: "VirtualService",
      metadata: { name: "cart", namespace: "shop" },
    });
    expect(read.metadata?.generation).toBe(1);

    const invalid = (object: KubernetesObject) =>
      objects.create(object).then(
        () => undefined,
        (error: { code?: number; body?: string }) => ({
          code: error.code,
          message: JSON.parse(error.body ?? "{}").message,
        }),
      );
    expect(
      await invalid({
        apiVersion: "networking.istio.io/v1",
        kind: "VirtualService",
        metadata: { name: "bad", namespace: "shop" },
        spec: { hosts: ["cart"], http: [{ route: [{ destination: { host: "cart-v1" }, weight: 101 }] }] },
      } as KubernetesObject),
    ).toEqual({
      code: 422,
      message: expect.stringContaining("spec.http[0].route[0].weight: must be an integer between 0 and 100"),
    });
    expect(
      await invalid({
        apiVersion: "networking.k8s.io/v1",
        kind: "Ingress",
        metadata: { name: "bad", namespace: "shop" },
        spec: {
          rules: [
            { http: { paths: [{ path: "/", backend: { service: { name: "cart-v1", port: { number: 80 } } } }] } },
          ],
        },
      } as KubernetesObject),
    ).toEqual({
      code: 422,
      message: expect.stringContaining("spec.rules[0].http.paths[0].pathType: Unsupported value"),
    });
  });

  it("sends traffic by VirtualService weights and by the NGINX canary of the same host and path only", async () => {
    const { sim, advance } = await start();
    for (const service of ["mesh", "edge"]) {
      for (const object of versionedServiceManifests({
        namespace: "shop",
        service,
        routeKinds: service === "mesh" ? ["VirtualService"] : ["Ingress"],
        versions: [
          { version: "v1", replicas: 2 },
          { version: "v2", replicas: 1 },
        ],
      })) {
        sim.createObject(object);
      }
    }
    sim.patchObject({ group: "networking.istio.io", version: "v1", resource: "virtualservices" }, "shop", "mesh", {
      spec: {
        http: [
          {
            route: [
              { destination: { host: "mesh-v1.shop.svc.cluster.local" }, weight: 70 },
              { destination: { host: "mesh-v2" }, weight: 30 },
            ],
          },
        ],
      },
    });
    // A canary Ingress for another path of the same host takes nothing from "/".
    sim.createObject({
      apiVersion: "networking.k8s.io/v1",
      kind: "Ingress",
      metadata: {
        name: "edge-canary",
        namespace: "shop",
        annotations: {
          "nginx.ingress.kubernetes.io/canary": "true",
          "nginx.ingress.kubernetes.io/canary-weight": "5",
          "nginx.ingress.kubernetes.io/canary-weight-total": "20",
        },
      },
      spec: {
        rules: [
          {
            host: "edge.example.com",
            http: {
              paths: [
                {
                  path: "/beta",
                  pathType: "Prefix",
                  backend: { service: { name: "edge-v2", port: { number: 8080 } } },
                },
              ],
            },
          },
        ],
      },
    });
    await advance(10);
    expect(await served(sim, "mesh")).toEqual({ v1: 700, v2: 300 });
    expect(await served(sim, "edge")).toEqual({ v1: 1000 });

    // The same path: 5 out of a total of 20 is 25 %.
    sim.patchObject({ group: "networking.k8s.io", version: "v1", resource: "ingresses" }, "shop", "edge-canary", {
      spec: {
        rules: [
          {
            host: "edge.example.com",
            http: {
              paths: [
                { path: "/", pathType: "Prefix", backend: { service: { name: "edge-v2", port: { number: 8080 } } } },
              ],
            },
          },
        ],
      },
    });
    await advance(10);
    expect(await served(sim, "edge")).toEqual({ v1: 1750, v2: 250 });
  });
});
