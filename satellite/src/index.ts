export {
  AWS_SIM_METRICS_PATH,
  AwsSimControls,
  SIM_AWS_ACCOUNT_ID,
  SIM_AWS_DEFAULT_REGION,
} from "./cloud-sim/aws/aws-sim-controls.js";
export { SimulatedElbv2, type SimulatedElbv2Options } from "./cloud-sim/aws/simulated-elbv2.js";
export {
  type SimulatedAlias,
  type SimulatedFunctionSpec,
  SimulatedLambda,
  type SimulatedLambdaOptions,
} from "./cloud-sim/aws/simulated-lambda.js";
export {
  type VersionBehaviour as CloudVersionBehaviour,
  type WeightedVersion,
  WeightedVersionTraffic,
  type WeightedVersionTrafficOptions,
} from "./cloud-sim/weighted-version-traffic.js";
export {
  DEPLOYMENT_RESOURCE,
  HTTP_ROUTE_RESOURCE,
  type HttpRouteObject,
  SIM_ERROR_RATE_ANNOTATION,
  SIM_LATENCY_ANNOTATION,
  SIM_REQUESTS_PER_SECOND_ANNOTATION,
  SimulatedCluster,
  type SimulatedClusterOptions,
  type VersionedServiceOptions,
  versionedServiceManifests,
  type WorkloadBehaviour,
  WorkloadServer,
} from "./cluster/sim/index.js";
export { loadSatelliteConfig, type SatelliteConfig } from "./config/satellite-config.js";
export {
  RELEASE_POLICY_GROUP,
  RELEASE_POLICY_KIND,
  RELEASE_POLICY_PLURAL,
  RELEASE_POLICY_VERSION,
  releasePolicyCrd,
} from "./gitops/release-policy-crd.js";
export { type ReleasePolicyStatus, readReleasePolicySpec } from "./gitops/release-policy-spec.js";
export { WORKLOAD_METRICS_PATH } from "./ops/simulated-workload-metrics.js";
export { parseRolloutRecord } from "./release-guard/rollout-record.js";
export { BUILT_IN_GATES } from "./rollout/default-gates.js";
export { type CanaryScenario, oracleErrorDetectionSeconds, simulateCanary } from "./rollout/judge-simulation.js";
export { parseRolloutPolicy, type RolloutPolicy } from "./rollout/rollout-policy.js";
export { type RunningSatellite, SATELLITE_VERSION, startSatellite } from "./satellite.js";
export type { SatelliteIdentity } from "./satellite-identity.js";
export {
  ArmError,
  SimulatedArm,
  type SimulatedArmOptions,
} from "./traffic/adapters/azure/sim/simulated-arm.js";
export {
  type SimulatedContainerAppOptions,
  SimulatedContainerApps,
} from "./traffic/adapters/azure-container-apps/sim/simulated-container-apps.js";
export {
  type SimulatedFunctionAppOptions,
  SimulatedFunctionApps,
  type SimulatedRampUpRule,
} from "./traffic/adapters/azure-functions/sim/simulated-function-apps.js";
export {
  SimulatedCloudRun,
  type SimulatedCloudRunOptions,
  type SimulatedCloudRunServiceOptions,
} from "./traffic/adapters/gcp-cloud-run/sim/simulated-cloud-run.js";
export { canaryShareOf, parseUpstreamServers } from "./traffic/adapters/nginx-upstream/nginx-upstream-file.js";
