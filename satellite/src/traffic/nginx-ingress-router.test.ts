import { KubeConfig } from "@kubernetes/client-node";
import { createLogger } from "@sentra/common";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { KubeCluster } from "../cluster/kube-cluster.js";
import {
  INGRESS_RESOURCE,
  type IngressObject,
  SimulatedCluster,
  versionedServiceManifests,
} from "../cluster/sim/index.js";
import type { RolloutTarget } from "../rollout/index.js";
import { NginxIngressRouter } from "./nginx-ingress-router.js";
import type { TrafficBinding } from "./traffic-binding.js";

const target: RolloutTarget = { id: "r1", service: "checkout", namespace: "shop", version: "v2", stableVersion: "v1" };

describe("NGINX Ingress canary router against a simulated API server, through @kubernetes/client-node", () => {
  let sim: SimulatedCluster;
  let router: NginxIngressRouter;
  let binding: TrafficBinding;

  beforeEach(async () => {
    sim = await SimulatedCluster.start({ name: "nginx", readinessDelayMs: 0, traffic: { requestsPerSecond: 0 } });
    sim.ensureNamespace("shop");
    for (const object of versionedServiceManifests({
      namespace: "shop",
      service: "checkout",
      routeKinds: ["Ingress"],
      versions: [
        { version: "v1", replicas: 2 },
        { version: "v2", replicas: 1 },
      ],
    })) {
      sim.createObject(object);
    }
    // A second path to another Service: not the release guard's business.
    sim.patchObject(INGRESS_RESOURCE, "shop", "checkout", {
      spec: {
        rules: [
          {
            host: "checkout.example.com",
            http: {
              paths: [
                {
                  path: "/",
                  pathType: "Prefix",
                  backend: { service: { name: "checkout-v1", port: { number: 8080 } } },
                },
                { path: "/static", pathType: "Prefix", backend: { service: { name: "assets", port: { number: 80 } } } },
              ],
            },
          },
        ],
      },
    });
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromString(sim.kubeconfigYaml());
    const cluster = new KubeCluster("nginx", kubeConfig, createLogger("test", "silent"));
    binding = { cluster: "nginx", router: "nginx", routeName: "checkout" };
    router = new NginxIngressRouter(() => ({ binding, cluster }));
  });
  afterEach(async () => {
    await sim.close();
  });

  const ingress = (name: string) => sim.get(INGRESS_RESOURCE, "shop", name) as IngressObject | undefined;
  const backends = (name: string) =>
    (ingress(name)?.spec.rules ?? []).flatMap((rule) =>
      (rule.http?.paths ?? []).map((path) => `${rule.host}${path.path}=${path.backend.service?.name}`),
    );
  const canaryWeight = () =>
    ingress("checkout-canary")?.metadata.annotations?.["nginx.ingress.kubernetes.io/canary-weight"];

  it("creates the canary Ingress beside the primary with the stable paths only, then moves its weight", async () => {
    await router.setCanaryWeight(target, 5);
    const canary = ingress("checkout-canary");
    expect(canary?.spec.ingressClassName).toBe("nginx");
    expect(backends("checkout-canary")).toEqual(["checkout.example.com/=checkout-v2"]);
    expect(canary?.metadata.annotations).toMatchObject({
      "nginx.ingress.kubernetes.io/canary": "true",
      "nginx.ingress.kubernetes.io/canary-weight": "5",
      "nginx.ingress.kubernetes.io/canary-weight-total": "100",
      "sentra.io/canary-of": "checkout",
      "sentra.io/rollout": "r1",
    });
    expect(backends("checkout")).toEqual(["checkout.example.com/=checkout-v1", "checkout.example.com/static=assets"]);

    await router.setCanaryWeight(target, 40);
    expect(canaryWeight()).toBe("40");
    const versions = [
      ingress("checkout")?.metadata.resourceVersion,
      ingress("checkout-canary")?.metadata.resourceVersion,
    ];
    await router.setCanaryWeight(target, 40);
    expect([
      ingress("checkout")?.metadata.resourceVersion,
      ingress("checkout-canary")?.metadata.resourceVersion,
    ]).toEqual(versions);

    sim.failRequests({ method: "PUT", pathPattern: "/ingresses/checkout-canary$", status: 409, times: 2 });
    await router.setCanaryWeight(target, 0);
    // A rollback keeps the canary Ingress, at 0.
    expect(canaryWeight()).toBe("0");
  });

  it("points the primary at the canary at 100 % and back, make-before-break in both directions", async () => {
    await router.setCanaryWeight(target, 50);

    // The primary's write fails mid-switch: the canary Ingress already carries every request.
    sim.failRequests({ method: "PUT", pathPattern: "/ingresses/checkout$", status: 500 });
    await expect(router.setCanaryWeight(target, 100)).rejects.toMatchObject({ code: "UNAVAILABLE" });
    expect(canaryWeight()).toBe("100");
    expect(backends("checkout")[0]).toBe("checkout.example.com/=checkout-v1");

    await router.setCanaryWeight(target, 100);
    expect(backends("checkout")).toEqual(["checkout.example.com/=checkout-v2", "checkout.example.com/static=assets"]);
    expect(canaryWeight()).toBe("0");

    // Rolling back from 100 %: the canary Ingress takes everything again before the primary moves.
    sim.failRequests({ method: "PUT", pathPattern: "/ingresses/checkout$", status: 500 });
    await expect(router.setCanaryWeight(target, 0)).rejects.toMatchObject({ code: "UNAVAILABLE" });
    expect(canaryWeight()).toBe("100");
    expect(backends("checkout")[0]).toBe("checkout.example.com/=checkout-v2");

    await router.setCanaryWeight(target, 0);
    expect(backends("checkout")[0]).toBe("checkout.example.com/=checkout-v1");
    expect(canaryWeight()).toBe("0");
  });

  it("refuses, before any traffic moves, a missing primary, one that routes elsewhere, and a foreign canary Ingress", async () => {
    await expect(router.check(target)).resolves.toBeUndefined();
    binding = { ...binding, routeName: "nope" };
    await expect(router.check(target)).rejects.toMatchObject({ code: "NOT_FOUND" });
    binding = { ...binding, routeName: "checkout" };

    await expect(router.check({ ...target, stableVersion: "v0" })).rejects.toMatchObject({
      code: "FAILED_PRECONDITION",
      message: expect.stringContaining("no path routing to the stable Service checkout-v0"),
    });

    sim.createObject({
      apiVersion: "networking.k8s.io/v1",
      kind: "Ingress",
      metadata: {
        name: "checkout-canary",
        namespace: "shop",
        annotations: { "nginx.ingress.kubernetes.io/canary": "true" },
      },
      spec: { defaultBackend: { service: { name: "checkout-v9", port: { number: 8080 } } } },
    });
    await expect(router.check(target)).rejects.toMatchObject({
      code: "FAILED_PRECONDITION",
      message: expect.stringContaining("was not created by the release guard"),
    });
    await expect(router.setCanaryWeight(target, 5)).rejects.toMatchObject({ code: "FAILED_PRECONDITION" });
    expect(backends("checkout-canary")).toEqual([]);

    binding = { ...binding, routeName: "checkout-canary" };
    await expect(router.check(target)).rejects.toMatchObject({
      code: "FAILED_PRECONDITION",
      message: expect.stringContaining("is itself a canary Ingress"),
    });
  });
});
