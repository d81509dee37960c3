import { KubeConfig } from "@kubernetes/client-node";
import { createLogger, SentraError } from "@sentra/common";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { KubeCluster } from "../cluster/kube-cluster.js";
import {
  SimulatedCluster,
  VIRTUAL_SERVICE_RESOURCE,
  type VirtualServiceObject,
  versionedServiceManifests,
} from "../cluster/sim/index.js";
import type { RolloutTarget } from "../rollout/index.js";
import { IstioRouter } from "./istio-router.js";
import type { TrafficBinding } from "./traffic-binding.js";

const target: RolloutTarget = { id: "r1", service: "checkout", namespace: "shop", version: "v2", stableVersion: "v1" };

describe("Istio router against a simulated API server, through @kubernetes/client-node", () => {
  let sim: SimulatedCluster;
  let router: IstioRouter;
  let binding: TrafficBinding;

  beforeEach(async () => {
    sim = await SimulatedCluster.start({ name: "istio", readinessDelayMs: 0, traffic: { requestsPerSecond: 0 } });
    sim.ensureNamespace("shop");
    for (const object of versionedServiceManifests({
      namespace: "shop",
      service: "checkout",
      routeKinds: ["VirtualService"],
      versions: [
        { version: "v1", replicas: 2 },
        { version: "v2", replicas: 1 },
      ],
    })) {
      sim.createObject(object);
    }
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromString(sim.kubeconfigYaml());
    const cluster = new KubeCluster("istio", kubeConfig, createLogger("test", "silent"));
    binding = { cluster: "istio", router: "istio", routeName: "checkout" };
    router = new IstioRouter(() => ({ binding, cluster }));
  });
  afterEach(async () => {
    await sim.close();
  });

  const virtualService = () => sim.get(VIRTUAL_SERVICE_RESOURCE, "shop", "checkout") as VirtualServiceObject;
  const weights = () =>
    (virtualService().spec.http ?? []).map((http) =>
      (http.route ?? []).map((entry) => [entry.destination.host, entry.destination.port?.number, entry.weight]),
    );

  it("adds the canary destination next to the stable one, on its port, and keeps the host form", async () => {
    await router.setCanaryWeight(target, 20);
    expect(weights()).toEqual([
      [
        ["checkout-v1", 8080, 80],
        ["checkout-v2", 8080, 20],
      ],
    ]);
    expect(virtualService().metadata.annotations).toMatchObject({
      "sentra.io/rollout": "r1",
      "sentra.io/canary-weight": "20",
    });

    // A fully qualified stable host gets a fully qualified canary host; TCP routes are left alone.
    sim.patchObject(VIRTUAL_SERVICE_RESOURCE, "shop", "checkout", {
      spec: {
        http: [{ route: [{ destination: { host: "checkout-v1.shop.svc.cluster.local" } }] }],
        tcp: [{ route: [{ destination: { host: "checkout-v1" } }] }],
      },
    });
    await router.setCanaryWeight(target, 5);
    expect(weights()).toEqual([
      [
        ["checkout-v1.shop.svc.cluster.local", undefined, 95],
        ["checkout-v2.shop.svc.cluster.local", undefined, 5],
      ],
    ]);
    expect(virtualService().spec.tcp).toEqual([{ route: [{ destination: { host: "checkout-v1" } }] }]);
  });

  it("writes nothing when the weights are already in place, and retries on a concurrent change (409)", async () => {
    await router.setCanaryWeight(target, 40);
    const version = virtualService().metadata.resourceVersion;
    await router.setCanaryWeight(target, 40);
    expect(virtualService().metadata.resourceVersion).toBe(version);

    sim.failRequests({ method: "PUT", pathPattern: "/virtualservices/checkout$", status: 409, times: 2 });
    await router.setCanaryWeight(target, 0);
    expect(weights()[0]?.map((entry) => entry[2])).toEqual([100, 0]);

    sim.failRequests({ method: "PUT", pathPattern: "/virtualservices/checkout$", status: 409, times: "always" });
    const failure = await router.setCanaryWeight(target, 50).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(SentraError);
    expect((failure as SentraError).code).toBe("ABORTED");
    expect(weights()[0]?.map((entry) => entry[2])).toEqual([100, 0]);
  });

  it("refuses, before any traffic moves, a VirtualService that is missing or routes elsewhere too", async () => {
    await expect(router.check(target)).resolves.toBeUndefined();

    binding = { ...binding, routeName: "nope" };
    await expect(router.check(target)).rejects.toMatchObject({ code: "NOT_FOUND" });

    binding = { ...binding, routeName: "checkout" };
    await expect(router.check({ ...target, stableVersion: "v0" })).rejects.toMatchObject({
      code: "FAILED_PRECONDITION",
      message: expect.stringContaining("no HTTP route to the stable Service checkout-v0"),
    });

    sim.patchObject(VIRTUAL_SERVICE_RESOURCE, "shop", "checkout", {
      spec: {
        http: [
          {
            route: [
              { destination: { host: "checkout-v1" }, weight: 90 },
              { destination: { host: "legacy" }, weight: 10 },
            ],
          },
        ],
      },
    });
    await expect(router.check(target)).rejects.toMatchObject({
      code: "FAILED_PRECONDITION",
      message: expect.stringContaining("http[0] also routes to legacy"),
    });
  });
});
