import { beforeEach, describe, expect, it } from "vitest";
import { INGRESS_RESOURCE, type IngressObject } from "../cluster/sim/index.js";
import { NginxIngressRouter } from "./nginx-ingress-router.js";
import { expectCheckRefusesMissingRoutes, useRouterFixture } from "./router-test-fixture.js";

describe("NGINX Ingress canary router against a simulated API server, through @kubernetes/client-node", () => {
  const fixture = useRouterFixture({
    cluster: "nginx",
    router: "nginx",
    service: { routeKinds: ["Ingress"] },
    createRouter: (resolve) => new NginxIngressRouter(resolve),
  });
  const { target } = fixture;

  beforeEach(() => {
    // A second path to another Service: not the release guard's business.
    fixture.sim.patchObject(INGRESS_RESOURCE, "shop", "checkout", {
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
  });

  const ingress = (name: string) => fixture.sim.get(INGRESS_RESOURCE, "shop", name) as IngressObject | undefined;
  const backends = (name: string) =>
    (ingress(name)?.spec.rules ?? []).flatMap((rule) =>
      (rule.http?.paths ?? []).map((path) => `${rule.host}${path.path}=${path.backend.service?.name}`),
    );
  const canaryWeight = () =>
    ingress("checkout-canary")?.metadata.annotations?.["nginx.ingress.kubernetes.io/canary-weight"];

  it("creates the canary Ingress beside the primary with the stable paths only, then moves its weight", async () => {
    await fixture.router.setCanaryWeight(target, 5);
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

    await fixture.router.setCanaryWeight(target, 40);
    expect(canaryWeight()).toBe("40");
    const versions = [
      ingress("checkout")?.metadata.resourceVersion,
      ingress("checkout-canary")?.metadata.resourceVersion,
    ];
    await fixture.router.setCanaryWeight(target, 40);
    expect([
      ingress("checkout")?.metadata.resourceVersion,
      ingress("checkout-canary")?.metadata.resourceVersion,
    ]).toEqual(versions);

    fixture.sim.failRequests({ method: "PUT", pathPattern: "/ingresses/checkout-canary$", status: 409, times: 2 });
    await fixture.router.setCanaryWeight(target, 0);
    // A rollback keeps the canary Ingress, at 0.
    expect(canaryWeight()).toBe("0");
  });

  it("points the primary at the canary at 100 % and back, make-before-break in both directions", async () => {
    await fixture.router.setCanaryWeight(target, 50);

    // The primary's write fails mid-switch: the canary Ingress already carries every request.
    fixture.sim.failRequests({ method: "PUT", pathPattern: "/ingresses/checkout$", status: 500 });
    await expect(fixture.router.setCanaryWeight(target, 100)).rejects.toMatchObject({ code: "UNAVAILABLE" });
    expect(canaryWeight()).toBe("100");
    expect(backends("checkout")[0]).toBe("checkout.example.com/=checkout-v1");

    await fixture.router.setCanaryWeight(target, 100);
    expect(backends("checkout")).toEqual(["checkout.example.com/=checkout-v2", "checkout.example.com/static=assets"]);
    expect(canaryWeight()).toBe("0");

    // Rolling back from 100 %: the canary Ingress takes everything again before the primary moves.
    fixture.sim.failRequests({ method: "PUT", pathPattern: "/ingresses/checkout$", status: 500 });
    await expect(fixture.router.setCanaryWeight(target, 0)).rejects.toMatchObject({ code: "UNAVAILABLE" });
    expect(canaryWeight()).toBe("100");
    expect(backends("checkout")[0]).toBe("checkout.example.com/=checkout-v2");

    await fixture.router.setCanaryWeight(target, 0);
    expect(backends("checkout")[0]).toBe("checkout.example.com/=checkout-v1");
    expect(canaryWeight()).toBe("0");
  });

  it("refuses, before any traffic moves, a missing primary, one that routes elsewhere, and a foreign canary Ingress", async () => {
    await expectCheckRefusesMissingRoutes(fixture, "no path routing to the stable Service checkout-v0");

    fixture.sim.createObject({
      apiVersion: "networking.k8s.io/v1",
      kind: "Ingress",
      metadata: {
        name: "checkout-canary",
        namespace: "shop",
        annotations: { "nginx.ingress.kubernetes.io/canary": "true" },
      },
      spec: { defaultBackend: { service: { name: "checkout-v9", port: { number: 8080 } } } },
    });
    await expect(fixture.router.check(target)).rejects.toMatchObject({
      code: "FAILED_PRECONDITION",
      message: expect.stringContaining("was not created by the release guard"),
    });
    await expect(fixture.router.setCanaryWeight(target, 5)).rejects.toMatchObject({ code: "FAILED_PRECONDITION" });
    expect(backends("checkout-canary")).toEqual([]);

    fixture.binding = { ...fixture.binding, routeName: "checkout-canary" };
    await expect(fixture.router.check(target)).rejects.toMatchObject({
      code: "FAILED_PRECONDITION",
      message: expect.stringContaining("is itself a canary Ingress"),
    });
  });
});
