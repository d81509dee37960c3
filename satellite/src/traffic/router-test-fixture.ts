import { KubeConfig } from "@kubernetes/client-node";
import { createLogger, SentraError } from "@sentra/common";
import { afterEach, beforeEach, expect } from "vitest";
import { KubeCluster } from "../cluster/kube-cluster.js";
import { SimulatedCluster, type VersionedServiceOptions, versionedServiceManifests } from "../cluster/sim/index.js";
import type { RolloutTarget } from "../rollout/index.js";
import type { TrafficBinding, TrafficBindingResolver, TrafficRouterName } from "./traffic-binding.js";
import type { CheckedTrafficRouter } from "./traffic-router-switch.js";

// Test support, not shipped: satellite/tsconfig.json leaves *-test-fixture.ts out of the build.

/** The namespace every router test's service lives in. */
export const ROUTER_TEST_NAMESPACE = "shop";

/** Options of {@link useRouterFixture}. */
export interface RouterFixtureOptions<R> {
  /** The simulated cluster's name, also the binding's cluster. */
  readonly cluster: string;
  /** The router under test, as the binding names it. */
  readonly router: TrafficRouterName;
  /** The service under rollout. @default checkout: v1 × 2 (stable), v2 × 1 (canary), behind an HTTPRoute */
  readonly service?: Partial<Omit<VersionedServiceOptions, "namespace">>;
  /** Time for new pods to become ready, ms. @default 0 */
  readonly readinessDelayMs?: number;
  /** Builds the router on the fixture's binding resolver. */
  readonly createRouter: (resolve: TrafficBindingResolver) => R;
}

/** What each test of a router gets, fresh per test. */
export interface RouterFixture<R> {
  /** The rollout moved: `<service>` from v1 (stable) to v2 (canary), id r1. */
  readonly target: RolloutTarget;
  readonly sim: SimulatedCluster;
  readonly router: R;
  /** What the router resolves every rollout to (routeName = the service); a test may point it elsewhere. */
  binding: TrafficBinding;
}

/**
 * Registers, in the calling `describe`, a `beforeEach` that starts a simulated API server holding
 * one versioned service in {@link ROUTER_TEST_NAMESPACE} and builds the router under test on a real
 * `@kubernetes/client-node` client of it, and an `afterEach` that stops the server. Returns an
 * object whose `sim`, `router` and `binding` are the current test's.
 */
export function useRouterFixture<R>(options: RouterFixtureOptions<R>): RouterFixture<R> {
  const service = {
    service: "checkout",
    versions: [
      { version: "v1", replicas: 2 },
      { version: "v2", replicas: 1 },
    ],
    ...options.service,
    namespace: ROUTER_TEST_NAMESPACE,
  } satisfies VersionedServiceOptions;
  const initialBinding: TrafficBinding = {
    cluster: options.cluster,
    router: options.router,
    routeName: service.service,
  };
  let current: { sim: SimulatedCluster; router: R } | undefined;
  const started = (): { sim: SimulatedCluster; router: R } => {
    if (current === undefined) throw new Error("the router fixture is only there inside a test");
    return current;
  };

  const fixture: RouterFixture<R> = {
    target: {
      id: "r1",
      service: service.service,
      namespace: ROUTER_TEST_NAMESPACE,
      version: "v2",
      stableVersion: "v1",
    },
    get sim() {
      return started().sim;
    },
    get router() {
      return started().router;
    },
    binding: initialBinding,
  };

  beforeEach(async () => {
    const sim = await SimulatedCluster.start({
      name: options.cluster,
      readinessDelayMs: options.readinessDelayMs ?? 0,
      traffic: { requestsPerSecond: 0 },
    });
    sim.ensureNamespace(ROUTER_TEST_NAMESPACE);
    for (const object of versionedServiceManifests(service)) sim.createObject(object);
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromString(sim.kubeconfigYaml());
    const cluster = new KubeCluster(options.cluster, kubeConfig, createLogger("test", "silent"));
    fixture.binding = initialBinding;
    current = { sim, router: options.createRouter(() => ({ binding: fixture.binding, cluster })) };
  });
  afterEach(async () => {
    const sim = current?.sim;
    current = undefined;
    await sim?.close();
  });
  return fixture;
}

/**
 * What `check` of every route-editing router refuses before traffic moves: it passes as set up,
 * answers NOT_FOUND for a binding to a route that does not exist, and FAILED_PRECONDITION (with
 * `noStableRoute` in the message) when nothing routes to the stable version. Leaves the binding as
 * it found it.
 */
export async function expectCheckRefusesMissingRoutes(
  fixture: RouterFixture<CheckedTrafficRouter>,
  noStableRoute: string,
): Promise<void> {
  const { router, target } = fixture;
  await expect(router.check(target)).resolves.toBeUndefined();

  const binding = fixture.binding;
  fixture.binding = { ...binding, routeName: "nope" };
  await expect(router.check(target)).rejects.toMatchObject({ code: "NOT_FOUND" });
  fixture.binding = binding;

  await expect(router.check({ ...target, stableVersion: "v0" })).rejects.toMatchObject({
    code: "FAILED_PRECONDITION",
    message: expect.stringContaining(noStableRoute),
  });
}

/**
 * A write that meets a concurrent change (409 on the PUT matching `pathPattern`) is re-read and
 * retried: after two conflicts `weight` lands; with a conflict on every try the router gives up
 * with ABORTED and nothing changes. `canaryWeights` reads [stable, canary] back from the cluster.
 */
export async function expectConflictRetries(
  fixture: RouterFixture<CheckedTrafficRouter>,
  options: { pathPattern: string; weight: number; canaryWeights: () => readonly unknown[] | undefined },
): Promise<void> {
  const { router, sim, target } = fixture;
  const { pathPattern, weight, canaryWeights } = options;
  sim.failRequests({ method: "PUT", pathPattern, status: 409, times: 2 });
  await router.setCanaryWeight(target, weight);
  expect(canaryWeights()).toEqual([100 - weight, weight]);

  sim.failRequests({ method: "PUT", pathPattern, status: 409, times: "always" });
  const failure = await router.setCanaryWeight(target, weight === 50 ? 60 : 50).catch((error: unknown) => error);
  expect(failure).toBeInstanceOf(SentraError);
  expect((failure as SentraError).code).toBe("ABORTED");
  expect(canaryWeights()).toEqual([100 - weight, weight]);
}
