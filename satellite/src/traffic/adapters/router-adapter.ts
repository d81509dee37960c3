import type { z } from "zod";
import type { RolloutTarget } from "../../rollout/index.js";

/**
 * A traffic router for a runtime outside Kubernetes (a Lambda alias, an ALB listener, Cloud Run
 * revisions, an Azure slot or revision set, an HAProxy backend, an NGINX upstream). It moves the
 * rollout's traffic through the vendor's own API or a real server, so the same code runs against
 * the real service and against the simulated endpoints the tests use.
 *
 * The weight it is given is the canary's percentage, 0–100; 0 means every request goes to the
 * stable version and 100 means the canary has taken over (promotion). Calls must be idempotent:
 * the engine re-asserts the current weight after a restart and retries failed rollbacks.
 */
export interface RouterAdapter {
  /** Checks before the rollout starts that the target exists and routes to the stable version. */
  check(rollout: RolloutTarget): Promise<void>;
  /** Sends `weight` percent of the target's traffic to the canary; resolves once read back as applied. */
  setCanaryWeight(rollout: RolloutTarget, weight: number): Promise<void>;
  /** The canary percentage the runtime serves now, read from the runtime (not remembered). */
  readCanaryWeight(rollout: RolloutTarget): Promise<number>;
  /**
   * The last resort of a rollback when `setCanaryWeight(…, 0)` keeps failing: a different, blunter
   * call that sends everything to stable (e.g. HAProxy's `maint` state for the canary server, an
   * alias pointed at the stable version with no routing config). Resolves once read back as 0.
   */
  sendAllToStable(rollout: RolloutTarget): Promise<void>;
}

/** What an adapter gets besides its target: where the vendor's API is, and how to log. */
export interface RouterAdapterContext {
  /**
   * Endpoint override of the vendor API (the simulated endpoint in tests, a VPC endpoint or proxy in
   * production); absent: the SDK's default endpoint. Credentials always come from the SDK's own
   * default chain (environment, web identity / IRSA, workload identity, managed identity) and are
   * never logged.
   */
  readonly endpoint?: string;
  /** Structured log of each call (no credentials, no request bodies). */
  readonly log: (message: string, fields: Record<string, unknown>) => void;
}

/**
 * One adapter kind as the rollout policy names it (`router.adapter: aws-lambda`): the schema of the
 * policy's `router:` section for it (errors name the line of the field) and how to build it.
 */
export interface RouterAdapterDefinition<Target extends { readonly adapter: string }> {
  readonly name: Target["adapter"];
  /** Validates the policy's `router:` mapping; `adapter` is the discriminator, the rest is the target. */
  readonly targetSchema: z.ZodType<Target>;
  create(target: Target, context: RouterAdapterContext): RouterAdapter;
}
