import type { KubeCluster } from "../cluster/kube-cluster.js";

/** The routers a satellite can move traffic with, by their wire names (`Rollout.traffic_router`). */
export const TRAFFIC_ROUTER_NAMES = ["gateway-api", "istio", "nginx", "replica-ratio"] as const;

/** A traffic router's name. */
export type TrafficRouterName = (typeof TRAFFIC_ROUTER_NAMES)[number];

/** Where and how one rollout's traffic is moved. Plain JSON: it is persisted with the rollout. */
export interface TrafficBinding {
  /** The cluster (kube context) the rollout runs in. */
  readonly cluster: string;
  /** The primary router; replica ratio is the fallback of the others. */
  readonly router: TrafficRouterName;
  /**
   * The object the primary router edits: the HTTPRoute (Gateway API), the VirtualService (Istio)
   * or the primary Ingress (NGINX; its canary Ingress is `<routeName>-canary`). Unused by replica ratio.
   */
  readonly routeName: string;
  /**
   * The router adapter of the rollout's policy (`router.adapter`, e.g. `haproxy`): when set, it
   * moves the traffic instead of `router`, and its own all-to-stable call is the fallback.
   */
  readonly adapter?: string;
}

/** The name the primary router of a binding goes by in metrics, logs and `Rollout.traffic_router`. */
export function primaryRouterLabel(binding: Pick<TrafficBinding, "router" | "adapter">): string {
  return binding.adapter ?? binding.router;
}

/** The name of a binding's fallback: replica ratio, or the adapter's all-to-stable call. */
export function fallbackRouterLabel(binding: Pick<TrafficBinding, "router" | "adapter">): string {
  return binding.adapter === undefined ? "replica-ratio" : `${binding.adapter} (all to stable)`;
}

/** Looks up a rollout's binding and cluster; throws NOT_FOUND for an unknown rollout or cluster. */
export type TrafficBindingResolver = (rolloutId: string) => {
  readonly binding: TrafficBinding;
  readonly cluster: KubeCluster;
};

/**
 * Name of the Deployment — and of the Service in front of it — that runs one version of a
 * service: `<service>-<version>`, the convention of `StartRollout`.
 */
export function versionedName(service: string, version: string): string {
  return `${service}-${version}`;
}
