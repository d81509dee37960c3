import { SentraError } from "@sentra/common";
import type { RolloutTarget, TrafficRouter } from "../rollout/index.js";
import type { RouterAdapter } from "./adapters/router-adapter.js";
import type { TrafficBindingResolver, TrafficRouterName } from "./traffic-binding.js";

/** A router that can also check, before a rollout starts, that it will be able to act. */
export interface CheckedTrafficRouter extends TrafficRouter {
  check(target: RolloutTarget): Promise<void>;
}

/** Router call roles, as the call observer and the `role` label tell them apart. */
export type RouterCallRole = "primary" | "fallback" | "repair";

/**
 * Told about every router call: which router (a Kubernetes router's name, or a router adapter's
 * name such as `haproxy`), in which role, the outcome and its duration.
 */
export type RouterCallObserver = (call: {
  readonly rollout: string;
  readonly router: string;
  readonly role: RouterCallRole;
  readonly weight: number;
  readonly ok: boolean;
  readonly seconds: number;
  readonly error?: unknown;
}) => void;

/** A rollout's router adapter, when its policy has a `router:` section, by its name. */
export type RouterAdapterResolver = (
  rolloutId: string,
) => { readonly name: string; readonly adapter: RouterAdapter } | undefined;

/**
 * The engine's two router ports for every rollout of a satellite: `primary` sends each rollout to
 * the router its binding names; `fallback` is the replica-ratio router, except for rollouts whose
 * primary already is replica ratio (retrying the same router is not a fallback). `repair` is the
 * primary router again, for the release guard's own retries after a fallback (told apart in the
 * call observer).
 *
 * A rollout whose policy names a router adapter (`router.adapter`) is moved by that adapter
 * instead: `primary` and `repair` are its `setCanaryWeight`; `fallback` is its `sendAllToStable`,
 * at 0 % only (a rollback's last resort; other weights are FAILED_PRECONDITION). The Kubernetes
 * routers and Deployments are never involved.
 */
export class TrafficRouterSwitch {
  readonly primary: TrafficRouter;
  readonly fallback: TrafficRouter;
  readonly repair: TrafficRouter;

  constructor(
    private readonly resolve: TrafficBindingResolver,
    private readonly routers: Readonly<Record<TrafficRouterName, CheckedTrafficRouter>>,
    private readonly observe: RouterCallObserver = () => {},
    private readonly adapterOf: RouterAdapterResolver = () => undefined,
  ) {
    // async: a resolver that throws (unknown rollout, missing adapter) rejects like a failed call.
    this.primary = {
      setCanaryWeight: async (target, weight) => this.viaPrimary(target, weight, "primary"),
    };
    this.repair = {
      setCanaryWeight: async (target, weight) => this.viaPrimary(target, weight, "repair"),
    };
    this.fallback = {
      setCanaryWeight: async (target, weight) => {
        const adapted = this.adapterOf(target.id);
        if (adapted !== undefined) {
          if (weight !== 0) {
            return Promise.reject(
              new SentraError(
                "FAILED_PRECONDITION",
                `no fallback at ${weight}% for router adapter ${adapted.name}: its all-to-stable call only ends a rollback (0%)`,
              ),
            );
          }
          return this.call(target, weight, "fallback", adapted.name, () => adapted.adapter.sendAllToStable(target));
        }
        if (this.resolve(target.id).binding.router === "replica-ratio") {
          return Promise.reject(
            new SentraError("FAILED_PRECONDITION", "no fallback router: replica ratio is already the primary"),
          );
        }
        return this.call(target, weight, "fallback", "replica-ratio", () =>
          this.routers["replica-ratio"].setCanaryWeight(target, weight),
        );
      },
    };
  }

  /**
   * Checks a rollout before it starts: both Deployments exist (every router, the fallback
   * included, needs them) and the primary router can act (e.g. its HTTPRoute routes to stable).
   * A router adapter's rollout is checked by the adapter alone (its target exists and serves the
   * stable version); it has no Deployments.
   */
  async check(target: RolloutTarget): Promise<void> {
    const adapted = this.adapterOf(target.id);
    if (adapted !== undefined) {
      await adapted.adapter.check(target);
      return;
    }
    const router = this.resolve(target.id).binding.router;
    await this.routers["replica-ratio"].check(target);
    if (router !== "replica-ratio") await this.routers[router].check(target);
  }

  private viaPrimary(target: RolloutTarget, weight: number, role: "primary" | "repair"): Promise<void> {
    const adapted = this.adapterOf(target.id);
    if (adapted !== undefined) {
      return this.call(target, weight, role, adapted.name, () => adapted.adapter.setCanaryWeight(target, weight));
    }
    const router = this.resolve(target.id).binding.router;
    return this.call(target, weight, role, router, () => this.routers[router].setCanaryWeight(target, weight));
  }

  private async call(
    target: RolloutTarget,
    weight: number,
    role: RouterCallRole,
    router: string,
    run: () => Promise<void>,
  ): Promise<void> {
    const started = performance.now();
    try {
      await run();
      this.observe({
        rollout: target.id,
        router,
        role,
        weight,
        ok: true,
        seconds: (performance.now() - started) / 1000,
      });
    } catch (error) {
      this.observe({
        rollout: target.id,
        router,
        role,
        weight,
        ok: false,
        seconds: (performance.now() - started) / 1000,
        error,
      });
      throw error;
    }
  }
}
