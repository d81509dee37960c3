export { ROUTER_ADAPTER_DEFINITIONS } from "./adapters/adapter-registry.js";
export type { RouterAdapter, RouterAdapterContext, RouterAdapterDefinition } from "./adapters/router-adapter.js";
export {
  CANARY_WEIGHT_ANNOTATION,
  GatewayApiRouter,
  type GatewayApiRouterOptions,
  HTTP_ROUTE,
  ROLLOUT_ANNOTATION,
} from "./gateway-api-router.js";
export { IstioRouter, type IstioRouterOptions, VIRTUAL_SERVICE } from "./istio-router.js";
export {
  CANARY_OF_ANNOTATION,
  canaryIngressName,
  NGINX_CANARY_ANNOTATION,
  NGINX_CANARY_WEIGHT_ANNOTATION,
  NGINX_CANARY_WEIGHT_TOTAL_ANNOTATION,
  NginxIngressRouter,
  type NginxIngressRouterOptions,
} from "./nginx-ingress-router.js";
export {
  canaryReplicasFor,
  DEFAULT_MAX_CANARY_RATIO,
  DEFAULT_REPLICA_READINESS_TIMEOUT_MS,
  EFFECTIVE_WEIGHT_ANNOTATION,
  ReplicaRatioRouter,
  type ReplicaRatioRouterOptions,
  STABLE_REPLICAS_ANNOTATION,
} from "./replica-ratio-router.js";
export {
  fallbackRouterLabel,
  primaryRouterLabel,
  TRAFFIC_ROUTER_NAMES,
  type TrafficBinding,
  type TrafficBindingResolver,
  type TrafficRouterName,
  versionedName,
} from "./traffic-binding.js";
export {
  type CheckedTrafficRouter,
  type RouterAdapterResolver,
  type RouterCallObserver,
  type RouterCallRole,
  TrafficRouterSwitch,
} from "./traffic-router-switch.js";
export { DEFAULT_MAX_CONFLICT_RETRIES, type OptimisticUpdate, updateWithRetry } from "./update-with-retry.js";
