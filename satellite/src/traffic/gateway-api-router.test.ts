import { KubeConfig } from "@kubernetes/client-node";
import { createLogger, SentraError } from "@sentra/common";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { KubeCluster } from "../cluster/kube-cluster.js";
import {
  HTTP_ROUTE_RESOURCE,
  type HttpRouteObject,
  SimulatedCluster,
  versionedServiceManifests,
} from "../cluster/sim/index.js";
import type { RolloutTarget } from "../rollout/index.js";
import { GatewayApiRouter } from "./gateway-api-router.js";
import type { TrafficBinding } from "./traffic-binding.js";

const target: RolloutTarget = { id: "r1", service: "checkout", namespace: "shop", version: "v2", stableVersion: "v1" };

describe("Gateway API router against a simulated API server, through @kubernetes/client-node", () => {
  let sim: SimulatedCluster;
  let router: GatewayApiRouter;
  let binding: TrafficBinding;

  beforeEach(async () => {
    sim = await SimulatedCluster.start({ name: "gw", readinessDelayMs: 0, traffic: { requestsPerSecond: 0 } });
    sim.ensureNamespace("shop");
    for (const object of versionedServiceManifests({
      namespace: "shop",
      service: "checkout",
      versions: [
        { version: "v1", replicas: 2 },
        { version: "v2", replicas: 1 },
      ],
    })) {
      sim.createObject(object);
    }
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromString(sim.kubeconfigYaml());
    const cluster = new KubeCluster("gw", kubeConfig, createLogger("test", "silent"));
    binding = { cluster: "gw", router: "gateway-api", routeName: "checkout" };
    router = new GatewayApiRouter(() => ({ binding, cluster }));
  });
  afterEach(async () => {
    await sim.close();
  });

  const route = () => sim.get(HTTP_ROUTE_RESOURCE, "shop", "checkout") as HttpRouteObject;
  const weights = () =>
    (route().spec.rules ?? []).map((rule) => (rule.backendRefs ?? []).map((ref) => [ref.name, ref.port, ref.weight]));

  it("adds the canary next to the stable backend, on its port, and sets 100 − w / w", async () => {
    await router.setCanaryWeight(target, 20);
    expect(weights()).toEqual([
      [
        ["checkout-v1", 8080, 80],
        ["checkout-v2", 8080, 20],
      ],
    ]);
    expect(route().metadata.annotations).toMatchObject({ "sentra.io/rollout": "r1", "sentra.io/canary-weight": "20" });
    await router.setCanaryWeight(target, 0);
    expect(weights()).toEqual([
      [
        ["checkout-v1", 8080, 100],
        ["checkout-v2", 8080, 0],
      ],
    ]);
  });

  it("writes nothing when the route already has the weight (idempotent re-assertion)", async () => {
    await router.setCanaryWeight(target, 40);
    const version = route().metadata.resourceVersion;
    await router.setCanaryWeight(target, 40);
    expect(route().metadata.resourceVersion).toBe(version);
  });

  it("re-reads and retries when the route changed concurrently (409), and gives up after the retries", async () => {
    sim.failRequests({ method: "PUT", pathPattern: "/httproutes/checkout$", status: 409, times: 2 });
    await router.setCanaryWeight(target, 5);
    expect(weights()[0]?.map((ref) => ref[2])).toEqual([95, 5]);

    sim.failRequests({ method: "PUT", pathPattern: "/httproutes/checkout$", status: 409, times: "always" });
    const failure = await router.setCanaryWeight(target, 50).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(SentraError);
    expect((failure as SentraError).code).toBe("ABORTED");
    expect(weights()[0]?.map((ref) => ref[2])).toEqual([95, 5]);
  });

  it("refuses, before any traffic moves, a route that is missing or does not route to the stable version", async () => {
    await expect(router.check(target)).resolves.toBeUndefined();

    binding = { ...binding, routeName: "nope" };
    await expect(router.check(target)).rejects.toMatchObject({ code: "NOT_FOUND" });

    binding = { ...binding, routeName: "checkout" };
    await expect(router.check({ ...target, stableVersion: "v0" })).rejects.toMatchObject({
      code: "FAILED_PRECONDITION",
      message: expect.stringContaining("no rule routing to the stable Service checkout-v0"),
    });

    sim.patchObject(HTTP_ROUTE_RESOURCE, "shop", "checkout", {
      spec: {
        rules: [
          {
            backendRefs: [
              { name: "checkout-v1", weight: 90 },
              { name: "legacy", weight: 10 },
            ],
          },
        ],
      },
    });
    await expect(router.check(target)).rejects.toMatchObject({
      code: "FAILED_PRECONDITION",
      message: expect.stringContaining("rule 0 also routes to legacy"),
    });
  });
});
