import { SentraError } from "@sentra/common";
import type { RolloutTarget, TrafficRouter } from "../rollout/index.js";
import type { TrafficBindingResolver, TrafficRouterName } from "./traffic-binding.js";

/** A router that can also check, before a rollout starts, that it will be able to act. */
export interface CheckedTrafficRouter extends TrafficRouter {
  check(target: RolloutTarget): Promise<void>;
}

/** Told about every router call: which router, in which role, the outcome and its duration. */
export type RouterCallObserver = (call: {
  readonly rollout: string;
  readonly router: TrafficRouterName;
  readonly role: "primary" | "fallback" | "repair";
  readonly weight: number;
  readonly ok: boolean;
  readonly seconds: number;
  readonly error?: unknown;
}) => void;

/**
 * The engine's two router ports for every rollout of a satellite: `primary` sends each rollout to
 * the router its binding names; `fallback` is the replica-ratio router, except for rollouts whose
 * primary already is replica ratio (retrying the same router is not a fallback). `repair` is the
 * primary router again, for the release guard's own retries after a fallback (told apart in the
 * call observer).
 */
export class TrafficRouterSwitch {
  readonly primary: TrafficRouter;
  readonly fallback: TrafficRouter;
  readonly repair: TrafficRouter;

  constructor(
    private readonly resolve: TrafficBindingResolver,
    private readonly routers: Readonly<Record<TrafficRouterName, CheckedTrafficRouter>>,
    private readonly observe: RouterCallObserver = () => {},
  ) {
    this.primary = {
      setCanaryWeight: (target, weight) => this.call(target, weight, "primary", this.resolve(target.id).binding.router),
    };
    this.repair = {
      setCanaryWeight: (target, weight) => this.call(target, weight, "repair", this.resolve(target.id).binding.router),
    };
    this.fallback = {
      setCanaryWeight: (target, weight) => {
        if (this.resolve(target.id).binding.router === "replica-ratio") {
          return Promise.reject(
            new SentraError("FAILED_PRECONDITION", "no fallback router: replica ratio is already the primary"),
          );
        }
        return this.call(target, weight, "fallback", "replica-ratio");
      },
    };
  }

  /**
   * Checks a rollout before it starts: both Deployments exist (every router, the fallback
   * included, needs them) and the primary router can act (e.g. its HTTPRoute routes to stable).
   */
  async check(target: RolloutTarget): Promise<void> {
    const router = this.resolve(target.id).binding.router;
    await this.routers["replica-ratio"].check(target);
    if (router !== "replica-ratio") await this.routers[router].check(target);
  }

  private async call(
    target: RolloutTarget,
    weight: number,
    role: "primary" | "fallback" | "repair",
    router: TrafficRouterName,
  ): Promise<void> {
    const started = performance.now();
    try {
      await this.routers[router].setCanaryWeight(target, weight);
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
