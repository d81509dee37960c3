/** The rollout a router call is about. */
export interface RolloutTarget {
  /** Rollout id, unique per satellite; also the idempotency key prefix of router calls. */
  readonly id: string;
  /** Service (the stable Kubernetes Service / route target) whose traffic is split. */
  readonly service: string;
  readonly namespace: string;
  /** Version under test: the canary (or green) version. */
  readonly version: string;
  /** Version currently serving, when the router needs to name it. */
  readonly stableVersion?: string;
}

/**
 * Port: moves traffic between stable and canary. Implementations (Gateway API HTTPRoute weights,
 * Istio, NGINX canary annotations, replica ratio) must be idempotent: the engine re-asserts the
 * current weight after a restart and retries failed rollbacks.
 */
export interface TrafficRouter {
  /** Sends `weight` percent (0–100) of the service's traffic to the canary; resolves once applied. */
  setCanaryWeight(rollout: RolloutTarget, weight: number): Promise<void>;
}
