export {
  ADMIN_PATH_PREFIX,
  type AdminTarget,
  applyFailureRequest,
  type FailureRequest,
  type FailureSnapshot,
  failureRequestSchema,
  handleAdminRequest,
} from "./admin-router.js";
export { ApiRouter, type ApiRouterOptions } from "./api-router.js";
export { type CustomResourceDefinition, createCustomResourceKinds, type JsonSchema } from "./custom-resource-kind.js";
export {
  type ContainerSpec,
  createDeploymentKind,
  DEPLOYMENT_RESOURCE,
  type DeploymentCondition,
  type DeploymentKindOptions,
  type DeploymentObject,
  type DeploymentSpec,
  type DeploymentStatus,
  deploymentStatus,
  desiredReplicas,
  REVISION_ANNOTATION,
  readyReplicas,
  type ScaleObject,
} from "./deployment-kind.js";
export { apiGroupList, apiResourceList, SIMULATED_KUBERNETES_VERSION, versionInfo } from "./discovery.js";
export { createEventKind, EVENT_RESOURCE } from "./event-kind.js";
export {
  FailureInjector,
  type RequestFailure,
  type RequestFailureRule,
  type UnreachableMode,
} from "./failure-injector.js";
export {
  createHttpRouteKind,
  HTTP_ROUTE_RESOURCE,
  type HttpBackendRef,
  type HttpRouteObject,
  type HttpRouteRule,
  MAX_BACKEND_WEIGHT,
} from "./http-route-kind.js";
export {
  createIngressKind,
  INGRESS_RESOURCE,
  type IngressBackend,
  type IngressObject,
  type IngressPath,
  type IngressRule,
  NGINX_CANARY_ANNOTATION,
  NGINX_CANARY_WEIGHT_ANNOTATION,
  NGINX_CANARY_WEIGHT_TOTAL_ANNOTATION,
} from "./ingress-kind.js";
export { applyJsonPatch, type JsonPatchOperation } from "./json-patch.js";
export type { KubeObject, ObjectMeta } from "./kube-object.js";
export { type KubeconfigOptions, SIMULATED_CLUSTER_TOKEN, simulatedKubeconfig } from "./kubeconfig.js";
export { type LabelSelector, matchesLabelSelector, parseLabelSelector } from "./label-selector.js";
export { applyMergePatch, applyStrategicMergePatch } from "./merge-patch.js";
export { createNamespaceKind, NAMESPACE_RESOURCE } from "./namespace-kind.js";
export { DEFAULT_WATCH_HISTORY_SIZE, ObjectStore, type StoreEvent, type WatchEvent } from "./object-store.js";
export {
  DEFAULT_READINESS_DELAY_MS,
  READINESS_DELAY_ANNOTATION,
  type ReadinessFailure,
  ReadinessSimulator,
  SCALE_DOWN_DELAY_CAP_MS,
  START_READY_ANNOTATION,
} from "./readiness-simulator.js";
export {
  minReadyReplicas,
  monotonicNowMs,
  type ReplicaPoint,
  ReplicaTimeline,
  sumReplicaTimelines,
} from "./replica-timeline.js";
export {
  apiVersionOf,
  type ResourceKind,
  type ResourceRef,
  ResourceRegistry,
  type SubresourceHandler,
  type TableColumn,
} from "./resource-kind.js";
export { type PatchType, ResourceService } from "./resource-service.js";
export {
  DEFAULT_SEED_NAMESPACE,
  DEMO_DEPLOYMENT_SEEDS,
  DEMO_ROLLOUT_SERVICE,
  type DeploymentSeed,
  deploymentManifest,
  type SeedOptions,
  type SeedSet,
  STATE_GB_ANNOTATION,
  seedDeployments,
} from "./seed-workloads.js";
export { createServiceKind, SERVICE_RESOURCE, type ServiceObject } from "./service-kind.js";
export { SimulatedCluster, type SimulatedClusterOptions } from "./simulated-cluster.js";
export {
  DEFAULT_TRAFFIC_TICK_MS,
  GATEWAY_IDLE_SOCKET_TIMEOUT_MS,
  GATEWAY_MAX_SOCKETS_PER_VERSION,
  SIM_REQUESTS_PER_SECOND_ANNOTATION,
  SimulatedTraffic,
  type SimulatedTrafficOptions,
} from "./simulated-traffic.js";
export { type KubeStatus, StatusError } from "./status-error.js";
export {
  type RouteKind,
  type ServiceVersionSeed,
  type VersionedServiceOptions,
  versionedServiceManifests,
} from "./versioned-service-manifests.js";
export {
  createVirtualServiceKind,
  type IstioDestination,
  type IstioHttpRoute,
  type IstioRouteDestination,
  serviceOfIstioHost,
  VIRTUAL_SERVICE_RESOURCE,
  type VirtualServiceObject,
} from "./virtual-service-kind.js";
export {
  DEFAULT_SIM_LATENCY_MS,
  SIM_ERROR_RATE_ANNOTATION,
  SIM_LATENCY_ANNOTATION,
  WORKLOAD_SERVER_KEEP_ALIVE_MS,
  WORKLOAD_SERVER_METRICS_PATH,
  type WorkloadBehaviour,
  WorkloadServer,
  workloadBehaviour,
} from "./workload-server.js";
export { type WorkloadServerInfo, WorkloadServers } from "./workload-servers.js";
