import { type Rollout, RolloutPhase } from "@sentra/proto";
import { createTestNamespace, eventually, type TestNamespace } from "@sentra/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readMetric } from "./support/estate-processes.js";
import { fastReleasePolicy } from "./support/fast-release-policy.js";
import { LEGACY_SERVICE, type LegacyRouterEstate, startLegacyRouterEstate } from "./support/legacy-router-estate.js";
import { deleteSatelliteEventStreamOnDispose } from "./support/satellite-events.js";

/**
 * Short steps and 2 s decisions over a 5 s window, the built-in PromQL gates with a sample floor the
 * 60 requests/s through the proxy clear at 50 %.
 */
const POLICY = fastReleasePolicy({ steps: [50, 50], consecutiveBreachesToRollback: 2 });

const ROUTERS = [
  { proxy: "haproxy", adapter: "haproxy", breaks: "its runtime API's unix socket is removed" },
  { proxy: "nginx", adapter: "nginx-upstream", breaks: "its nginx binary is removed (nginx -t cannot run)" },
] as const;

describe.each(ROUTERS)(
  "rollouts through the $adapter router adapter (real $proxy, Prometheus and satellite)",
  ({ proxy, adapter, breaks }) => {
    let namespace: TestNamespace;
    beforeEach(async () => {
      namespace = await createTestNamespace(`ad${proxy.slice(0, 2)}`);
      deleteSatelliteEventStreamOnDispose(namespace);
    });
    afterEach(async () => {
      await namespace.dispose();
    });

    async function start(estate: LegacyRouterEstate, rolloutId: string, routerYaml = estate.routerYaml): Promise<void> {
      const { namespace: vm, service, stable, canary } = LEGACY_SERVICE;
      await estate.client.startRollout({
        rolloutId,
        namespace: vm,
        service,
        stableVersion: stable,
        canaryVersion: canary,
        policyYaml: `${POLICY}${routerYaml}\n`,
      });
    }

    const failure = (promise: Promise<unknown>) =>
      promise.then(
        () => undefined,
        (error: { code: string; field?: string; message: string }) => error,
      );

    async function finalRollout(estate: LegacyRouterEstate, rolloutId: string, phase: RolloutPhase): Promise<Rollout> {
      return eventually(
        async () => {
          const { rollout } = await estate.client.getRollout({ rolloutId });
          expect(rollout?.phase).toBe(phase);
          return rollout as Rollout;
        },
        60_000,
        250,
      );
    }

    it("rolls back a canary that fails half its requests: the proxy reads back 0 % canary", async () => {
      const estate = await startLegacyRouterEstate(namespace, proxy, { canaryErrorRate: 0.5 });
      // Refused before any traffic moves: an unknown adapter (a policy error at its line), a target the
      // adapter's check cannot find. Nothing is recorded, so the same id starts once fixed.
      const misspelt = await failure(
        start(estate, "web-bad", estate.routerYaml.replace(`adapter: ${adapter}`, "adapter: haproxi")),
      );
      expect(misspelt).toMatchObject({ code: "INVALID_ARGUMENT", field: "policy_yaml" });
      expect(misspelt?.message).toContain(
        'web-bad/policy.yaml:14:12: router.adapter: unknown router adapter "haproxi"',
      );
      const missing = await failure(
        start(estate, "web-bad", estate.routerYaml.replace(/(backend|upstream): web\n/, "$1: nope\n")),
      );
      expect(missing).toMatchObject({ code: "NOT_FOUND" });
      expect(missing?.message).toMatch(/no backend nope|defines no upstream nope/);
      await start(estate, "web-bad");
      const rollout = await finalRollout(estate, "web-bad", RolloutPhase.ROLLED_BACK);
      expect(rollout.canaryWeight).toBe(0);
      expect(rollout.trafficRouter).toBe(adapter);
      expect(await estate.canaryWeight()).toBe(0);
      // The canary had real traffic through the proxy before it was judged.
      expect(await estate.served("v2")).toBeGreaterThan(0);
      expect(
        await readMetric(estate.satellite.opsUrl, "sentra_satellite_traffic_router_calls_total", {
          router: adapter,
          role: "primary",
          outcome: "ok",
        }),
      ).toBeGreaterThanOrEqual(2);
    });

    it("promotes a healthy canary: the proxy reads back 100 % and the stable version stops getting requests", async () => {
      const estate = await startLegacyRouterEstate(namespace, proxy);
      await start(estate, "web-good");
      // At 50 % both versions serve the proxy's traffic.
      await eventually(async () => expect(await estate.canaryWeight()).toBe(50), 20_000, 250);
      const v2AtHalf = await estate.served("v2");
      await eventually(async () => expect(await estate.served("v2")).toBeGreaterThan(v2AtHalf + 20), 10_000, 250);
      const rollout = await finalRollout(estate, "web-good", RolloutPhase.PROMOTED);
      expect(rollout.canaryWeight).toBe(100);
      expect(await estate.canaryWeight()).toBe(100);
      // Requests already in flight (and, for NGINX, old workers draining) finish first; then none reach v1.
      await eventually(
        async () => {
          const before = await estate.served("v1");
          await new Promise((resolve) => setTimeout(resolve, 1_000));
          expect(await estate.served("v1")).toBe(before);
        },
        15_000,
        0,
      );
    });

    it("resumes a rollout after the satellite is killed: the adapter is rebuilt from the recorded policy and promotes", async () => {
      const estate = await startLegacyRouterEstate(namespace, proxy);
      await start(estate, "web-resumed");
      await eventually(async () => expect(await estate.canaryWeight()).toBe(50), 20_000, 250);
      await estate.crashAndRestartSatellite();
      expect(estate.satellite.process.output()).toMatch(/"msg":"rollouts resumed from the event stream"/);
      // The crash left the proxy where it was (or, on a slow machine, the resumed rollout already went on).
      expect([50, 100]).toContain(await estate.canaryWeight());
      const rollout = await finalRollout(estate, "web-resumed", RolloutPhase.PROMOTED);
      expect(rollout.trafficRouter).toBe(adapter);
      expect(await estate.canaryWeight()).toBe(100);
    });

    it(`ends a rollback at 0 % canary through the fallback when ${breaks} mid-rollout`, async () => {
      const estate = await startLegacyRouterEstate(namespace, proxy);
      await start(estate, "web-broken");
      await eventually(async () => expect(await estate.canaryWeight()).toBe(50), 20_000, 250);
      estate.breakPrimary();
      estate.setErrorRate("v2", 0.5);
      const rollout = await finalRollout(estate, "web-broken", RolloutPhase.ROLLED_BACK);
      expect(rollout.canaryWeight).toBe(0);
      expect(rollout.trafficRouter).toBe(`${adapter} (all to stable)`);
      expect(rollout.message).toMatch(/^traffic back to 0% canary via the fallback router \(primary failed: /);
      expect(await estate.canaryWeight()).toBe(0);
      const { opsUrl } = estate.satellite;
      expect(
        await readMetric(opsUrl, "sentra_satellite_traffic_router_calls_total", {
          router: adapter,
          role: "primary",
          outcome: "error",
        }),
      ).toBeGreaterThanOrEqual(1);
      expect(
        await readMetric(opsUrl, "sentra_satellite_traffic_router_calls_total", {
          router: adapter,
          role: "fallback",
          outcome: "ok",
        }),
      ).toBe(1);
      // The canary really is out of the proxy's rotation: it gets no more requests.
      await eventually(
        async () => {
          const before = await estate.served("v2");
          await new Promise((resolve) => setTimeout(resolve, 1_000));
          expect(await estate.served("v2")).toBe(before);
        },
        15_000,
        0,
      );
    });
  },
);
