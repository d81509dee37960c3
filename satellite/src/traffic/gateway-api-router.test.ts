import { describe, expect, it } from "vitest";
import { HTTP_ROUTE_RESOURCE, type HttpRouteObject } from "../cluster/sim/index.js";
import { GatewayApiRouter } from "./gateway-api-router.js";
import { expectCheckRefusesMissingRoutes, expectConflictRetries, useRouterFixture } from "./router-test-fixture.js";

describe("Gateway API router against a simulated API server, through @kubernetes/client-node", () => {
  const fixture = useRouterFixture({
    cluster: "gw",
    router: "gateway-api",
    createRouter: (resolve) => new GatewayApiRouter(resolve),
  });
  const { target } = fixture;

  const route = () => fixture.sim.get(HTTP_ROUTE_RESOURCE, "shop", "checkout") as HttpRouteObject;
  const weights = () =>
    (route().spec.rules ?? []).map((rule) => (rule.backendRefs ?? []).map((ref) => [ref.name, ref.port, ref.weight]));

  it("adds the canary next to the stable backend, on its port, and sets 100 − w / w", async () => {
    await fixture.router.setCanaryWeight(target, 20);
    expect(weights()).toEqual([
      [
        ["checkout-v1", 8080, 80],
        ["checkout-v2", 8080, 20],
      ],
    ]);
    expect(route().metadata.annotations).toMatchObject({ "sentra.io/rollout": "r1", "sentra.io/canary-weight": "20" });
    await fixture.router.setCanaryWeight(target, 0);
    expect(weights()).toEqual([
      [
        ["checkout-v1", 8080, 100],
        ["checkout-v2", 8080, 0],
      ],
    ]);
  });

  it("writes nothing when the route already has the weight (idempotent re-assertion)", async () => {
    await fixture.router.setCanaryWeight(target, 40);
    const version = route().metadata.resourceVersion;
    await fixture.router.setCanaryWeight(target, 40);
    expect(route().metadata.resourceVersion).toBe(version);
  });

  it("re-reads and retries when the route changed concurrently (409), and gives up after the retries", async () => {
    await expectConflictRetries(fixture, {
      pathPattern: "/httproutes/checkout$",
      weight: 5,
      canaryWeights: () => weights()[0]?.map((ref) => ref[2]),
    });
  });

  it("refuses, before any traffic moves, a route that is missing or does not route to the stable version", async () => {
    await expectCheckRefusesMissingRoutes(fixture, "no rule routing to the stable Service checkout-v0");

    fixture.sim.patchObject(HTTP_ROUTE_RESOURCE, "shop", "checkout", {
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
    await expect(fixture.router.check(target)).rejects.toMatchObject({
      code: "FAILED_PRECONDITION",
      message: expect.stringContaining("rule 0 also routes to legacy"),
    });
  });
});
