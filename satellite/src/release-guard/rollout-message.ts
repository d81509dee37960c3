import { create } from "@bufbuild/protobuf";
import {
  type ErrorBudget as ErrorBudgetMessage,
  ErrorBudgetSchema,
  GateEvidenceSchema,
  GateOutcome as GateOutcomeMessage,
  type GateResult as GateResultMessage,
  GateResultSchema,
  type Incident as IncidentMessage,
  IncidentSchema,
  type Rollout,
  type RolloutDecision,
  RolloutDecisionSchema,
  RolloutPhase as RolloutPhaseMessage,
  RolloutSchema,
  RolloutStrategy as RolloutStrategyMessage,
  timestampFromDate,
} from "@sentra/proto";
import {
  type Decision,
  type ErrorBudgetEvidence,
  type GateEvidence,
  type GateResult,
  type Incident,
  type RolloutPhase,
  type RolloutState,
  stepIndexOf,
  stepWeights,
  weightOf,
} from "../rollout/index.js";
import { fallbackRouterLabel, primaryRouterLabel } from "../traffic/index.js";
import type { RolloutRecord } from "./rollout-record.js";

const PHASES: Readonly<Record<RolloutPhase, RolloutPhaseMessage>> = {
  pending: RolloutPhaseMessage.PENDING,
  warmingUp: RolloutPhaseMessage.WARMING_UP,
  progressing: RolloutPhaseMessage.PROGRESSING,
  paused: RolloutPhaseMessage.PAUSED,
  // The wire has no "promoting": a manual full promotion waiting for the router is still progressing.
  promoting: RolloutPhaseMessage.PROGRESSING,
  promoted: RolloutPhaseMessage.PROMOTED,
  rollingBack: RolloutPhaseMessage.ROLLING_BACK,
  rolledBack: RolloutPhaseMessage.ROLLED_BACK,
  aborted: RolloutPhaseMessage.ABORTED,
  failed: RolloutPhaseMessage.FAILED,
};

/** The wire phase of an engine phase (`promoting` travels as PROGRESSING). */
export function toPhaseMessage(phase: RolloutPhase): RolloutPhaseMessage {
  return PHASES[phase];
}

/**
 * A rollout as `sentra.v1.Rollout`. `steps` are the canary weights of the steps (running sums of
 * the policy's increments; `[0, 100]` for blue-green), so `step_index` indexes them.
 */
export function toRolloutMessage(satelliteId: string, record: RolloutRecord): Rollout {
  const { spec, state, binding } = record;
  const progress = stepProgress(state);
  return create(RolloutSchema, {
    id: spec.id,
    satelliteId,
    cluster: binding.cluster,
    namespace: spec.namespace,
    service: spec.service,
    stableVersion: spec.stableVersion ?? "",
    canaryVersion: spec.version,
    strategy: spec.policy.strategy === "blueGreen" ? RolloutStrategyMessage.BLUE_GREEN : RolloutStrategyMessage.CANARY,
    phase: toPhaseMessage(state.phase),
    stepIndex: stepIndexOf(state) ?? 0,
    canaryWeight: weightOf(state) ?? 0,
    steps: stepWeights(spec.policy),
    startedAt: timestampFromDate(new Date(record.startedAt)),
    updatedAt: timestampFromDate(new Date(record.updatedAt)),
    message: record.lastDecision?.reason ?? describeState(state),
    ...(record.lastDecision
      ? { lastDecision: toDecisionMessage(record, record.lastDecision, record.lastDecisionSequence) }
      : {}),
    parentId: record.parentId,
    trafficRouter:
      record.appliedVia !== "fallback"
        ? primaryRouterLabel(binding)
        : binding.adapter === undefined
          ? "replica-ratio (fallback)"
          : fallbackRouterLabel(binding),
    consecutiveBreaches: progress?.consecutiveBreaches ?? 0,
    ...(record.errorBudget === undefined ? {} : { errorBudget: toErrorBudgetMessage(record.errorBudget) }),
    passes: progress?.passes ?? 0,
  });
}

/** One decision as `sentra.v1.RolloutDecision`; `sequence` is the number of the event carrying it. */
export function toDecisionMessage(record: RolloutRecord, decision: Decision, sequence: number): RolloutDecision {
  return create(RolloutDecisionSchema, {
    rolloutId: record.spec.id,
    stepIndex: decision.stepIndex ?? 0,
    canaryWeight: decision.weight ?? 0,
    gates: decision.gates.map(toGateResultMessage),
    decision: decision.kind,
    at: timestampFromDate(new Date(decision.at)),
    phase: toPhaseMessage(decision.to),
    reason: decision.reason,
    router:
      decision.via === undefined
        ? ""
        : decision.via === "fallback"
          ? fallbackRouterLabel(record.binding)
          : primaryRouterLabel(record.binding),
    sequence,
  });
}

/** One incident as `sentra.v1.Incident`; its id is `<rollout id>/<event sequence>`. */
export function toIncidentMessage(record: RolloutRecord, incident: Incident, sequence: number): IncidentMessage {
  return create(IncidentSchema, {
    id: `${record.spec.id}/${sequence}`,
    rolloutId: record.spec.id,
    severity: incident.severity,
    summary: `${incident.kind}: ${incident.message}`,
    at: timestampFromDate(new Date(incident.at)),
    gates: incident.gates.map(toGateResultMessage),
  });
}

/** A gate result on the wire: NaN stands for "no value", "no severe threshold" and "sample unknown". */
export function toGateResultMessage(result: GateResult): GateResultMessage {
  return create(GateResultSchema, {
    gate: result.gate,
    outcome:
      result.outcome === "pass"
        ? GateOutcomeMessage.PASS
        : result.outcome === "breach"
          ? GateOutcomeMessage.BREACH
          : GateOutcomeMessage.UNKNOWN,
    value: result.value ?? Number.NaN,
    threshold: result.threshold,
    severeThreshold: result.severeThreshold ?? Number.NaN,
    sampleSize: result.sampleSize ?? Number.NaN,
    reason: result.reason,
    judge: result.judge ?? "threshold",
    conclusive: result.conclusive === true,
    ...(result.evidence === undefined ? {} : { evidence: toEvidenceMessage(result.evidence) }),
  });
}

function toEvidenceMessage(evidence: GateEvidence) {
  return create(GateEvidenceSchema, {
    test: evidence.test,
    statistic: evidence.statistic,
    bound: evidence.bound,
    alpha: evidence.alpha,
    tolerance: evidence.tolerance,
    canaryTotal: evidence.canaryTotal,
    baselineTotal: evidence.baselineTotal,
    canaryEvents: evidence.canaryEvents ?? Number.NaN,
    baselineEvents: evidence.baselineEvents ?? Number.NaN,
    estimate: evidence.estimate ?? Number.NaN,
    canaryQuantile: evidence.canaryQuantile ?? Number.NaN,
    baselineQuantile: evidence.baselineQuantile ?? Number.NaN,
    looks: evidence.looks,
    ...(evidence.since === null ? {} : { since: timestampFromDate(new Date(evidence.since)) }),
    rejected: evidence.rejected,
    ...(evidence.errorBudget === undefined ? {} : { errorBudget: toErrorBudgetMessage(evidence.errorBudget) }),
  });
}

function toErrorBudgetMessage(budget: ErrorBudgetEvidence): ErrorBudgetMessage {
  return create(ErrorBudgetSchema, {
    slo: budget.slo,
    excessErrors: budget.excessErrors,
    dailyBudgetErrors: budget.dailyBudgetErrors,
    burnedPercent: budget.burnedPercent,
    maxBurnPercent: budget.maxBurnPercent ?? Number.NaN,
  });
}

function stepProgress(state: RolloutState): { passes: number; consecutiveBreaches: number } | undefined {
  switch (state.phase) {
    case "warmingUp":
    case "progressing":
      return state;
    case "paused":
      return state.resumeTo;
    default:
      return undefined;
  }
}

function describeState(state: RolloutState): string {
  switch (state.phase) {
    case "paused":
      return `paused (${state.reason}): ${state.detail}`;
    case "rollingBack":
    case "rolledBack":
    case "aborted":
    case "failed":
      return state.reason;
    default:
      return state.phase;
  }
}
