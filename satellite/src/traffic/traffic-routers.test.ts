import { KubeConfig } from "@kubernetes/client-node";
import { createLogger } from "@sentra/common";
import { eventually } from "@sentra/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KubeCluster } from "../cluster/kube-cluster.js";
import {
  HTTP_ROUTE_RESOURCE,
  type HttpRouteObject,
  INGRESS_RESOURCE,
  type IngressObject,
  SimulatedCluster,
  VIRTUAL_SERVICE_RESOURCE,
  type VirtualServiceObject,
  versionedServiceManifests,
} from "../cluster/sim/index.js";
import type { RolloutTarget } from "../rollout/index.js";
import { GatewayApiRouter } from "./gateway-api-router.js";
import { IstioRouter } from "./istio-router.js";
import { NginxIngressRouter } from "./nginx-ingress-router.js";
import { ReplicaRatioRouter } from "./replica-ratio-router.js";
import type { TrafficBinding, TrafficRouterName } from "./traffic-binding.js";
import type { CheckedTrafficRouter } from "./traffic-router-switch.js";

/** Simulated requests per second through each route; the test ticks the traffic by hand. */
const RPS = 100;
const WEIGHTS = [5, 20, 50, 100, 0] as const;

interface RouterCase {
  readonly router: TrafficRouterName;
  /** What the router's resources say after each weight of {@link WEIGHTS}, read back from the cluster. */
  readonly resources: readonly unknown[];
  /** The canary's share of the requests that reached the service, in %, after each weight. */
  readonly canaryShare: readonly number[];
}

/**
 * One service per router, each reached through its own kind of route (the replica-ratio one through
 * an HTTPRoute to the Service shared by both versions). Stable: 4 replicas; canary: 1 (0 for
 * replica ratio, which sizes it).
 */
const CASES: readonly RouterCase[] = [
  {
    router: "gateway-api",
    resources: [
      { "gw-v1": 95, "gw-v2": 5 },
      { "gw-v1": 80, "gw-v2": 20 },
      { "gw-v1": 50, "gw-v2": 50 },
      { "gw-v1": 0, "gw-v2": 100 },
      { "gw-v1": 100, "gw-v2": 0 },
    ],
    canaryShare: [5, 20, 50, 100, 0],
  },
  {
    router: "istio",
    resources: [
      { "istio-v1": 95, "istio-v2": 5 },
      { "istio-v1": 80, "istio-v2": 20 },
      { "istio-v1": 50, "istio-v2": 50 },
      { "istio-v1": 0, "istio-v2": 100 },
      { "istio-v1": 100, "istio-v2": 0 },
    ],
    canaryShare: [5, 20, 50, 100, 0],
  },
  {
    router: "nginx",
    // At 100 % the primary Ingress itself routes to the canary and the canary Ingress is zeroed.
    resources: [
      { primary: "nginx-v1", canary: "nginx-v2", canaryWeight: "5" },
      { primary: "nginx-v1", canary: "nginx-v2", canaryWeight: "20" },
      { primary: "nginx-v1", canary: "nginx-v2", canaryWeight: "50" },
      { primary: "nginx-v2", canary: "nginx-v2", canaryWeight: "0" },
      { primary: "nginx-v1", canary: "nginx-v2", canaryWeight: "0" },
    ],
    canaryShare: [5, 20, 50, 100, 0],
  },
  {
    router: "replica-ratio",
    // The precision limit: with 4 stable replicas, one canary replica is already 20 %.
    resources: [
      { "rr-v1": 4, "rr-v2": 1 },
      { "rr-v1": 4, "rr-v2": 1 },
      { "rr-v1": 4, "rr-v2": 4 },
      { "rr-v1": 0, "rr-v2": 4 },
      { "rr-v1": 4, "rr-v2": 0 },
    ],
    canaryShare: [20, 20, 50, 100, 0],
  },
];

const SERVICE_OF: Record<TrafficRouterName, string> = {
  "gateway-api": "gw",
  istio: "istio",
  nginx: "nginx",
  "replica-ratio": "rr",
};

describe("traffic routers through @kubernetes/client-node against the simulated cluster", () => {
  let sim: SimulatedCluster;
  let routers: Record<TrafficRouterName, CheckedTrafficRouter>;
  let now = 0;

  beforeAll(async () => {
    // Traffic moves only when the test ticks it (the timer is an hour away).
    sim = await SimulatedCluster.start({
      name: "routers",
      readinessDelayMs: 0,
      traffic: { requestsPerSecond: RPS, tickMs: 3_600_000 },
    });
    sim.ensureNamespace("shop");
    for (const [service, routeKinds, route] of [
      ["gw", ["HTTPRoute"], "versioned"],
      ["istio", ["VirtualService"], "versioned"],
      ["nginx", ["Ingress"], "versioned"],
      ["rr", ["HTTPRoute"], "shared"],
    ] as const) {
      for (const object of versionedServiceManifests({
        namespace: "shop",
        service,
        routeKinds,
        route,
        versions: [
          { version: "v1", replicas: 4 },
          { version: "v2", replicas: service === "rr" ? 0 : 1 },
        ],
      })) {
        sim.createObject(object);
      }
    }
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromString(sim.kubeconfigYaml());
    const cluster = new KubeCluster("routers", kubeConfig, createLogger("test", "silent"));
    const resolve = (rolloutId: string) => {
      const router = rolloutId as TrafficRouterName;
      const binding: TrafficBinding = { cluster: "routers", router, routeName: SERVICE_OF[router] };
      return { binding, cluster };
    };
    routers = {
      "gateway-api": new GatewayApiRouter(resolve),
      istio: new IstioRouter(resolve),
      nginx: new NginxIngressRouter(resolve),
      "replica-ratio": new ReplicaRatioRouter(resolve),
    };
    now = performance.now();
    await sim.traffic?.tick(now);
  });
  afterAll(async () => {
    await sim?.close();
  });

  /** Requests each version of `service` served, from the simulated workloads' own counters. */
  async function served(service: string): Promise<{ v1: number; v2: number }> {
    const counts = { v1: 0, v2: 0 };
    for (const metric of (await sim.traffic?.metricsAsJSON()) ?? []) {
      if (metric.name !== "http_requests_total") continue;
      for (const { labels, value } of metric.values) {
        if (labels.service === service && (labels.version === "v1" || labels.version === "v2")) {
          counts[labels.version] += value;
        }
      }
    }
    return counts;
  }

  function resources(router: TrafficRouterName): unknown {
    const service = SERVICE_OF[router];
    switch (router) {
      case "gateway-api": {
        const route = sim.get(HTTP_ROUTE_RESOURCE, "shop", service) as HttpRouteObject;
        return Object.fromEntries((route.spec.rules?.[0]?.backendRefs ?? []).map((ref) => [ref.name, ref.weight]));
      }
      case "istio": {
        const vs = sim.get(VIRTUAL_SERVICE_RESOURCE, "shop", service) as VirtualServiceObject;
        return Object.fromEntries(
          (vs.spec.http?.[0]?.route ?? []).map((entry) => [entry.destination.host, entry.weight]),
        );
      }
      case "nginx": {
        const primary = sim.get(INGRESS_RESOURCE, "shop", service) as IngressObject;
        const canary = sim.get(INGRESS_RESOURCE, "shop", `${service}-canary`) as IngressObject;
        const backend = (ingress: IngressObject) => ingress.spec.rules?.[0]?.http?.paths[0]?.backend.service?.name;
        expect(canary.metadata.annotations).toMatchObject({
          "nginx.ingress.kubernetes.io/canary": "true",
          "nginx.ingress.kubernetes.io/canary-weight-total": "100",
        });
        // Same host and path as the primary: what ingress-nginx pairs a canary by.
        expect(canary.spec.rules?.[0]?.host).toBe(primary.spec.rules?.[0]?.host);
        expect(canary.spec.rules?.[0]?.http?.paths[0]?.path).toBe(primary.spec.rules?.[0]?.http?.paths[0]?.path);
        return {
          primary: backend(primary),
          canary: backend(canary),
          canaryWeight: canary.metadata.annotations?.["nginx.ingress.kubernetes.io/canary-weight"],
        };
      }
      case "replica-ratio":
        return Object.fromEntries(
          ["v1", "v2"].map((version) => [
            `${service}-${version}`,
            sim.getDeployment("shop", `${service}-${version}`)?.spec.replicas,
          ]),
        );
    }
  }

  it.each(CASES)(
    "each traffic router sets the weights it should on the simulated cluster's resources: $router",
    async ({ router, resources: expected, canaryShare }) => {
      const service = SERVICE_OF[router];
      const target: RolloutTarget = { id: router, service, namespace: "shop", version: "v2", stableVersion: "v1" };
      await routers[router].check(target);
      for (const [index, weight] of WEIGHTS.entries()) {
        await routers[router].setCanaryWeight(target, weight);
        expect(resources(router), `${router} at ${weight} %`).toEqual(expected[index]);
        // Removed pods stop serving once the scale-down has settled, as terminating pods do.
        await eventually(() => expect(sim.pendingReadinessChanges).toBe(0));
        // 10 s of simulated traffic: the split the gateway (or the pods' ready replicas) makes.
        const before = await served(service);
        now += 10_000;
        await sim.traffic?.tick(now);
        const after = await served(service);
        const v2 = after.v2 - before.v2;
        const total = v2 + after.v1 - before.v1;
        expect(total, `${router} at ${weight} %: requests served`).toBe(10 * RPS);
        expect((100 * v2) / total, `${router} at ${weight} %: canary share`).toBe(canaryShare[index]);
      }
    },
  );
});
