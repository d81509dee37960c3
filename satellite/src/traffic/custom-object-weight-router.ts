import type { Logger } from "@sentra/common";
import type { CustomResourceRef } from "../cluster/kube-cluster.js";
import type { RolloutTarget, TrafficRouter } from "../rollout/index.js";
import type { TrafficBindingResolver } from "./traffic-binding.js";
import { updateWithRetry } from "./update-with-retry.js";

/** Options shared by the routers that edit weights on a custom resource. */
export interface CustomObjectWeightRouterOptions {
  /** @default DEFAULT_MAX_CONFLICT_RETRIES (5) */
  readonly maxConflictRetries?: number;
  readonly logger?: Logger;
}

/**
 * A router that moves traffic by editing weights on one custom resource (HTTPRoute,
 * VirtualService): read, edit in place, replace with the resourceVersion read, re-read and retry
 * on a conflict. Subclasses only say which resource and how to set the weights on it.
 */
export abstract class CustomObjectWeightRouter<T> implements TrafficRouter {
  constructor(
    private readonly resolve: TrafficBindingResolver,
    private readonly options: CustomObjectWeightRouterOptions = {},
  ) {}

  /** The resource the router edits. */
  protected abstract readonly resource: CustomResourceRef;
  /** Its kind, for log lines. */
  protected abstract readonly kind: string;

  /** Sets the weights on `object` in place; returns whether anything changed. */
  protected abstract edit(object: T, target: RolloutTarget, weight: number): boolean;

  /**
   * Checks before a rollout starts that its resource exists and that every rule the router would
   * edit routes only to the stable and canary backends.
   * @throws SentraError NOT_FOUND (no resource), FAILED_PRECONDITION (nothing routes to the stable version)
   */
  async check(target: RolloutTarget): Promise<void> {
    const { binding, cluster } = this.resolve(target.id);
    const object = await cluster.getCustomObject<T>(this.resource, target.namespace, binding.routeName);
    this.edit(object, target, 0);
  }

  async setCanaryWeight(target: RolloutTarget, weight: number): Promise<void> {
    const { binding, cluster } = this.resolve(target.id);
    const { routeName } = binding;
    await updateWithRetry<T>({
      read: () => cluster.getCustomObject<T>(this.resource, target.namespace, routeName),
      edit: (object) => this.edit(object, target, weight),
      write: (object) => cluster.replaceCustomObject(this.resource, target.namespace, routeName, object),
      ...(this.options.maxConflictRetries === undefined ? {} : { maxRetries: this.options.maxConflictRetries }),
      onConflict: (attempt) =>
        this.options.logger?.debug(
          { rollout: target.id, [this.kind]: routeName, attempt },
          `${this.kind} changed concurrently; retrying`,
        ),
    });
  }
}
