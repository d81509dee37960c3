import { describe, expect, it } from "vitest";
import { minReadyReplicas, sumReplicaTimelines } from "../cluster/sim/index.js";
import { canaryReplicasFor, ReplicaRatioRouter, STABLE_REPLICAS_ANNOTATION } from "./replica-ratio-router.js";
import { useRouterFixture } from "./router-test-fixture.js";

describe("canaryReplicasFor: the precision limit of replica ratio", () => {
  it("keeps the stable at full size and rounds the canary share to whole replicas", () => {
    expect(canaryReplicasFor(0, 4)).toEqual({ canary: 0, stable: 4, effectiveWeight: 0 });
    // 5 % of 4 replicas is a fifth of a pod: one pod is the least, which is 20 %.
    expect(canaryReplicasFor(5, 4)).toEqual({ canary: 1, stable: 4, effectiveWeight: 20 });
    expect(canaryReplicasFor(50, 4)).toEqual({ canary: 4, stable: 4, effectiveWeight: 50 });
    expect(canaryReplicasFor(70, 3)).toEqual({ canary: 7, stable: 3, effectiveWeight: 70 });
    // Capped at 4× the stable: 95 % would need 76 replicas.
    expect(canaryReplicasFor(95, 4)).toEqual({ canary: 16, stable: 4, effectiveWeight: 80 });
    expect(canaryReplicasFor(100, 4)).toEqual({ canary: 4, stable: 0, effectiveWeight: 100 });
  });
});

describe("replica-ratio router against a simulated API server", () => {
  const fixture = useRouterFixture({
    cluster: "rr",
    router: "replica-ratio",
    readinessDelayMs: 100,
    service: {
      service: "search",
      route: "shared",
      versions: [
        { version: "v1", replicas: 4 },
        { version: "v2", replicas: 0 },
      ],
    },
    createRouter: (resolve) => new ReplicaRatioRouter(resolve, { readinessTimeoutMs: 1_500 }),
  });
  const { target } = fixture;

  const desired = (name: string) => fixture.sim.getDeployment("shop", name)?.spec.replicas;

  it("scales only the canary below 100 %, and at 100 % hands over make-before-break", async () => {
    await fixture.router.setCanaryWeight(target, 20);
    expect([desired("search-v1"), desired("search-v2")]).toEqual([4, 1]);
    expect(fixture.sim.getDeployment("shop", "search-v1")?.metadata.annotations?.[STABLE_REPLICAS_ANNOTATION]).toBe(
      "4",
    );

    await fixture.router.setCanaryWeight(target, 100);
    expect([desired("search-v1"), desired("search-v2")]).toEqual([0, 4]);
    // Back to 0 %: the stable is scaled up and ready before the canary goes.
    await fixture.router.setCanaryWeight(target, 0);
    expect([desired("search-v1"), desired("search-v2")]).toEqual([4, 0]);

    // Capacity never dipped below the stable's full size across both Deployments.
    const total = sumReplicaTimelines([
      fixture.sim.timeline("shop", "search-v1"),
      fixture.sim.timeline("shop", "search-v2"),
    ]);
    expect(minReadyReplicas(total)).toBeGreaterThanOrEqual(4);
  });

  it("fails instead of removing capacity when the canary cannot become ready", async () => {
    fixture.sim.failReadiness("shop", "search-v2", 0);
    await expect(fixture.router.setCanaryWeight(target, 100)).rejects.toMatchObject({
      code: "DEADLINE_EXCEEDED",
      message: expect.stringContaining("search-v2 has 0/4 ready replicas"),
    });
    expect(desired("search-v1")).toBe(4);
  });

  it("names the missing Deployment when checked before a rollout", async () => {
    await expect(fixture.router.check(target)).resolves.toBeUndefined();
    await expect(fixture.router.check({ ...target, version: "v3" })).rejects.toMatchObject({
      code: "NOT_FOUND",
      message: expect.stringContaining("search-v3"),
    });
  });
});
