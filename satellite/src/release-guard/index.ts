export { DEFAULT_RECOVERY_TIMEOUT_MS, readRolloutRecords } from "./read-rollout-records.js";
export {
  DEFAULT_MAX_FINISHED_ROLLOUTS,
  ReleaseGuard,
  type ReleaseGuardOptions,
  type SatelliteEventPublisher,
  type StartRolloutInput,
} from "./release-guard.js";
export { createReleaseGuardMetrics, type ReleaseGuardMetrics } from "./release-guard-metrics.js";
export {
  toDecisionMessage,
  toGateResultMessage,
  toIncidentMessage,
  toPhaseMessage,
  toRolloutMessage,
} from "./rollout-message.js";
export { parseRolloutRecord, policyDigest, ROLLOUT_RECORD_FORMAT, type RolloutRecord } from "./rollout-record.js";
export { type RunningReleaseGuard, startReleaseGuard } from "./start-release-guard.js";
