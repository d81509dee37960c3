export {
  BUILT_IN_GATES,
  type BuiltInGate,
  type BuiltInGateName,
  DEFAULT_GATE_NAMES,
  isBuiltInGateName,
  REQUEST_DURATION_METRIC,
  REQUESTS_TOTAL_METRIC,
} from "./default-gates.js";
export {
  DEFAULT_TELEMETRY_TIMEOUT_MS,
  fetchTelemetry,
  type TelemetryHttpOptions,
  type TelemetryHttpResponse,
} from "./fetch-telemetry.js";
export {
  GateEvaluator,
  type GateOutcome,
  type GateResult,
  type GateTarget,
  judgeGate,
  type UnknownCause,
} from "./gate-evaluator.js";
export {
  GATE_JUDGES,
  GATE_PROVIDER_KINDS,
  type GateComparator,
  type GateJudge,
  type GateProviderKind,
  type GateSpec,
  type SequentialGateSpec,
  type UnknownBehaviour,
} from "./gate-spec.js";
export { readJudgeMemory } from "./judge-memory.js";
export { createLokiProvider, type LokiProviderOptions } from "./loki-provider.js";
export { ManualClock } from "./manual-clock.js";
export {
  type MetricProvider,
  type ProviderQueryOptions,
  type ProviderRegistry,
  type ProviderResult,
  parseSampleValue,
  providerError,
} from "./metric-provider.js";
export { parsePrometheusResult } from "./parse-prometheus-result.js";
export { formatPolicyProblem, PolicyError, type PolicyProblem } from "./policy-error.js";
export { createPrometheusProvider, type PrometheusProviderOptions } from "./prometheus-provider.js";
export {
  escapeLabelValue,
  formatWindow,
  QUERY_TEMPLATE_VARIABLES,
  type QueryTemplateValues,
  type QueryTemplateVariable,
  renderQueryTemplate,
  unknownTemplateVariables,
} from "./query-template.js";
export { type RolloutClock, systemClock, type TimerHandle } from "./rollout-clock.js";
export {
  DEFAULT_ROUTER_TIMEOUT_MS,
  RolloutEngine,
  type RolloutEngineLogger,
  type RolloutEngineOptions,
  type RolloutEngineSnapshot,
  type RolloutSpec,
  type RolloutStatus,
} from "./rollout-engine.js";
export type {
  RolloutDecisionRecord,
  RolloutEventSink,
  RolloutIncidentRecord,
  RolloutTransitionRecord,
} from "./rollout-event-sink.js";
export {
  DEFAULT_CANARY_STEPS,
  DEFAULT_CONSECUTIVE_BREACHES_TO_ROLLBACK,
  DEFAULT_INTERVAL_SECONDS,
  DEFAULT_ON_UNKNOWN,
  DEFAULT_PASSES_TO_PROMOTE,
  DEFAULT_ROLLBACK_MAX_ATTEMPTS,
  DEFAULT_TELEMETRY_PAUSE_AFTER_SECONDS,
  DEFAULT_TELEMETRY_REVERT_AFTER_SECONDS,
  DEFAULT_WARMUP_SECONDS,
  DEFAULT_WINDOW_SECONDS,
  defaultRolloutPolicy,
  type FittedPolicy,
  fitPolicyToProviders,
  MAX_INTERVAL_SECONDS,
  MIN_INTERVAL_SECONDS,
  type ParseRolloutPolicyOptions,
  parseRolloutPolicy,
  type RolloutPolicy,
  type RolloutStrategy,
  type RouterTargetPolicy,
  stepWeights,
  type TelemetryLossPolicy,
} from "./rollout-policy.js";
export {
  type AbortedState,
  classifyEvaluation,
  createPendingState,
  type Decision,
  type DecisionKind,
  type EvaluationVerdict,
  type FailedState,
  type Incident,
  isEvaluating,
  isTerminal,
  LAST_HEALTHY_WEIGHT,
  next,
  type PausedState,
  type PauseReason,
  type PendingState,
  type ProgressingState,
  type PromotedState,
  type PromotingState,
  type RollbackCause,
  type RolledBackState,
  type RollingBackState,
  type RolloutAction,
  type RolloutEvent,
  type RolloutPhase,
  type RolloutState,
  type StepProgress,
  stepIndexOf,
  TERMINAL_PHASES,
  type Transition,
  type WarmingUpState,
  weightOf,
} from "./rollout-state-machine.js";
export {
  type ErrorBudgetEvidence,
  type GateEvidence,
  type JudgeMemory,
  judgeDistribution,
  judgeRateRatio,
} from "./sequential-judge.js";
export {
  createTempoProvider,
  DEFAULT_TEMPO_WINDOW_SECONDS,
  parseTempoInstantResponse,
  type TempoProviderOptions,
} from "./tempo-provider.js";
export type { RolloutTarget, TrafficRouter } from "./traffic-router.js";
