export {
  SIM_ERROR_RATE_ANNOTATION,
  SIM_LATENCY_ANNOTATION,
  SIM_REQUESTS_PER_SECOND_ANNOTATION,
  SimulatedCluster,
  type SimulatedClusterOptions,
  type VersionedServiceOptions,
  versionedServiceManifests,
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
export { type RunningSatellite, SATELLITE_VERSION, startSatellite } from "./satellite.js";
export type { SatelliteIdentity } from "./satellite-identity.js";
