import type { V1Deployment } from "@kubernetes/client-node";
import { type Logger, SentraError, sleep } from "@sentra/common";
import type { KubeCluster } from "../cluster/kube-cluster.js";
import type { RolloutTarget, TrafficRouter } from "../rollout/index.js";
import { type TrafficBindingResolver, versionedName } from "./traffic-binding.js";

/** Annotation on the stable Deployment: its full size before the router first touched it. */
export const STABLE_REPLICAS_ANNOTATION = "sentra.io/replica-ratio-stable-replicas";
/** Annotation on the canary Deployment: the share of traffic its replicas actually get, in percent. */
export const EFFECTIVE_WEIGHT_ANNOTATION = "sentra.io/replica-ratio-effective-weight";

/** @default 4 — the canary never gets more than 4× the stable's replicas (an effective 80 %). */
export const DEFAULT_MAX_CANARY_RATIO = 4;
/** @default 8000 — how long a make-before-break step waits for readiness; under the engine's 10 s router deadline. */
export const DEFAULT_REPLICA_READINESS_TIMEOUT_MS = 8_000;
const READINESS_POLL_MS = 200;

/** Options of {@link ReplicaRatioRouter}. */
export interface ReplicaRatioRouterOptions {
  /** @default DEFAULT_MAX_CANARY_RATIO */
  readonly maxCanaryRatio?: number;
  /** @default DEFAULT_REPLICA_READINESS_TIMEOUT_MS */
  readonly readinessTimeoutMs?: number;
  readonly logger?: Logger;
}

/**
 * The canary's replicas for a weight while the stable keeps `stable` replicas, and the share of
 * traffic they really get. The precision limit of replica ratio: with 4 stable replicas the
 * achievable shares are 0, 20, 33, 43, 50 … 80 %; a positive weight gets at least one replica, and
 * 100 % means the canary at full size with the stable scaled to 0.
 */
export function canaryReplicasFor(
  weight: number,
  stable: number,
  maxCanaryRatio = DEFAULT_MAX_CANARY_RATIO,
): { canary: number; stable: number; effectiveWeight: number } {
  if (weight <= 0) return { canary: 0, stable, effectiveWeight: 0 };
  if (weight >= 100) return { canary: Math.max(stable, 1), stable: 0, effectiveWeight: 100 };
  if (stable === 0) return { canary: 1, stable, effectiveWeight: 100 };
  const ideal = (stable * weight) / (100 - weight);
  const canary = Math.min(Math.max(1, Math.round(ideal)), stable * maxCanaryRatio);
  return { canary, stable, effectiveWeight: Math.round((1000 * canary) / (stable + canary)) / 10 };
}

/**
 * Moves traffic by the replica counts of the two Deployments behind one Service: the canary's
 * share is its ready replicas over all ready replicas. It is the fallback router — it needs no
 * gateway, only the Deployments API — and is coarse (see {@link canaryReplicasFor}). The stable
 * Deployment stays at full size for every weight below 100, so a rollback is just the canary
 * scaled to 0. Every change is make-before-break: the stable is scaled back up and ready before
 * the canary goes to 0, and the canary is ready at full size before the stable goes to 0.
 *
 * As the fallback of a Gateway API route whose backends are per-version Services, scaling the
 * canary to 0 takes the canary out of service, but the route still sends the canary's share to a
 * backend without pods: the gateway answers that share itself (Envoy-based gateways: 503) until
 * the route is fixed.
 */
export class ReplicaRatioRouter implements TrafficRouter {
  constructor(
    private readonly resolve: TrafficBindingResolver,
    private readonly options: ReplicaRatioRouterOptions = {},
  ) {}

  /** Checks that both Deployments exist. @throws SentraError NOT_FOUND naming the missing one */
  async check(target: RolloutTarget): Promise<void> {
    const { cluster } = this.resolve(target.id);
    const { stableName, canaryName } = names(target);
    await Promise.all([
      cluster.getDeployment(target.namespace, stableName),
      cluster.getDeployment(target.namespace, canaryName),
    ]);
  }

  async setCanaryWeight(target: RolloutTarget, weight: number): Promise<void> {
    const { cluster } = this.resolve(target.id);
    const { stableName, canaryName } = names(target);
    const { namespace } = target;
    const [stable, canary] = await Promise.all([
      cluster.getDeployment(namespace, stableName),
      cluster.getDeployment(namespace, canaryName),
    ]);
    const recorded = Number(stable.metadata?.annotations?.[STABLE_REPLICAS_ANNOTATION]);
    const fullStable = Number.isInteger(recorded) && recorded >= 0 ? recorded : (stable.spec?.replicas ?? 0);
    const plan = canaryReplicasFor(weight, fullStable, this.options.maxCanaryRatio);
    const stableAnnotations = { [STABLE_REPLICAS_ANNOTATION]: String(fullStable) };
    const canaryAnnotations = { [EFFECTIVE_WEIGHT_ANNOTATION]: String(plan.effectiveWeight) };

    if (plan.stable > 0) {
      const stableDesired = stable.spec?.replicas ?? 0;
      if (stableDesired !== plan.stable || stable.metadata?.annotations?.[STABLE_REPLICAS_ANNOTATION] === undefined) {
        await cluster.scaleDeployment(namespace, stableName, plan.stable, stableAnnotations);
      }
      // Stable back to full size and ready before the canary shrinks — only when it had been scaled
      // down (after 100 %): an unrelated unready stable pod must not block a rollback.
      if (stableDesired < plan.stable) await this.waitReady(cluster, namespace, stableName, plan.stable);
      if (!sameReplicas(canary, plan.canary, canaryAnnotations)) {
        await cluster.scaleDeployment(namespace, canaryName, plan.canary, canaryAnnotations);
      }
    } else {
      // 100 %: the canary takes over at full size before the stable goes to 0.
      if (!sameReplicas(canary, plan.canary, canaryAnnotations)) {
        await cluster.scaleDeployment(namespace, canaryName, plan.canary, canaryAnnotations);
      }
      await this.waitReady(cluster, namespace, canaryName, plan.canary);
      if ((stable.spec?.replicas ?? 0) !== 0)
        await cluster.scaleDeployment(namespace, stableName, 0, stableAnnotations);
    }
    if (Math.abs(plan.effectiveWeight - weight) >= 5) {
      this.options.logger?.info(
        { rollout: target.id, weight, effectiveWeight: plan.effectiveWeight, stable: plan.stable, canary: plan.canary },
        "replica ratio cannot express this weight exactly",
      );
    }
  }

  private async waitReady(cluster: KubeCluster, namespace: string, name: string, replicas: number): Promise<void> {
    const timeoutMs = this.options.readinessTimeoutMs ?? DEFAULT_REPLICA_READINESS_TIMEOUT_MS;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const deployment = await cluster.getDeployment(namespace, name);
      const ready = deployment.status?.readyReplicas ?? 0;
      if (ready >= replicas) return;
      if (Date.now() >= deadline) {
        throw new SentraError(
          "DEADLINE_EXCEEDED",
          `${namespace}/${name} has ${ready}/${replicas} ready replicas after ${timeoutMs} ms; not shifting traffic away from it`,
        );
      }
      await sleep(READINESS_POLL_MS);
    }
  }
}

function names(target: RolloutTarget): { stableName: string; canaryName: string } {
  if (target.stableVersion === undefined) {
    throw SentraError.invalidArgument("stable_version", "the replica-ratio router needs the stable version");
  }
  return {
    stableName: versionedName(target.service, target.stableVersion),
    canaryName: versionedName(target.service, target.version),
  };
}

function sameReplicas(deployment: V1Deployment, replicas: number, annotations: Record<string, string>): boolean {
  return (
    (deployment.spec?.replicas ?? 0) === replicas &&
    Object.entries(annotations).every(([key, value]) => deployment.metadata?.annotations?.[key] === value)
  );
}
