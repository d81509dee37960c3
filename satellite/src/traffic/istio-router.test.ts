import { describe, expect, it } from "vitest";
import { VIRTUAL_SERVICE_RESOURCE, type VirtualServiceObject } from "../cluster/sim/index.js";
import { IstioRouter } from "./istio-router.js";
import { expectCheckRefusesMissingRoutes, expectConflictRetries, useRouterFixture } from "./router-test-fixture.js";

describe("Istio router against a simulated API server, through @kubernetes/client-node", () => {
  const fixture = useRouterFixture({
    cluster: "istio",
    router: "istio",
    service: { routeKinds: ["VirtualService"] },
    createRouter: (resolve) => new IstioRouter(resolve),
  });
  const { target } = fixture;

  const virtualService = () => fixture.sim.get(VIRTUAL_SERVICE_RESOURCE, "shop", "checkout") as VirtualServiceObject;
  const weights = () =>
    (virtualService().spec.http ?? []).map((http) =>
      (http.route ?? []).map((entry) => [entry.destination.host, entry.destination.port?.number, entry.weight]),
    );

  it("adds the canary destination next to the stable one, on its port, and keeps the host form", async () => {
    await fixture.router.setCanaryWeight(target, 20);
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
    fixture.sim.patchObject(VIRTUAL_SERVICE_RESOURCE, "shop", "checkout", {
      spec: {
        http: [{ route: [{ destination: { host: "checkout-v1.shop.svc.cluster.local" } }] }],
        tcp: [{ route: [{ destination: { host: "checkout-v1" } }] }],
      },
    });
    await fixture.router.setCanaryWeight(target, 5);
    expect(weights()).toEqual([
      [
        ["checkout-v1.shop.svc.cluster.local", undefined, 95],
        ["checkout-v2.shop.svc.cluster.local", undefined, 5],
      ],
    ]);
    expect(virtualService().spec.tcp).toEqual([{ route: [{ destination: { host: "checkout-v1" } }] }]);
  });

  it("writes nothing when the weights are already in place, and retries on a concurrent change (409)", async () => {
    await fixture.router.setCanaryWeight(target, 40);
    const version = virtualService().metadata.resourceVersion;
    await fixture.router.setCanaryWeight(target, 40);
    expect(virtualService().metadata.resourceVersion).toBe(version);

    await expectConflictRetries(fixture, {
      pathPattern: "/virtualservices/checkout$",
      weight: 0,
      canaryWeights: () => weights()[0]?.map((entry) => entry[2]),
    });
  });

  it("refuses, before any traffic moves, a VirtualService that is missing or routes elsewhere too", async () => {
    await expectCheckRefusesMissingRoutes(fixture, "no HTTP route to the stable Service checkout-v0");

    fixture.sim.patchObject(VIRTUAL_SERVICE_RESOURCE, "shop", "checkout", {
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
    await expect(fixture.router.check(target)).rejects.toMatchObject({
      code: "FAILED_PRECONDITION",
      message: expect.stringContaining("http[0] also routes to legacy"),
    });
  });
});
