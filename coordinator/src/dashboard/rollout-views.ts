import type {
  GateEvidenceView,
  GateOutcomeView,
  GateResultView,
  RolloutDecisionView,
  RolloutIncidentView,
  RolloutPhaseView,
  RolloutView,
  RolloutWaveStatusView,
  RolloutWaveView,
} from "@sentra/common";
import {
  type GateEvidence,
  GateOutcome,
  type GateResult,
  type Incident,
  type MultiClusterRollout,
  msOf,
  type RolloutDecision,
  RolloutOrigin,
  RolloutPhase,
  RolloutStrategy,
  RolloutWaveStatus,
} from "@sentra/proto";
/** Rollout messages (protobuf) → the dashboard protocol's plain JSON views. */

/** Where a satellite-level rollout id sits in a multi-cluster rollout. */
export interface WavePosition {
  waveIndex: number;
  revert: boolean;
}

export function toPhaseView(phase: RolloutPhase): RolloutPhaseView {
  return (RolloutPhase[phase] as RolloutPhaseView | undefined) ?? "UNSPECIFIED";
}

function toWaveStatusView(status: RolloutWaveStatus): RolloutWaveStatusView {
  return (RolloutWaveStatus[status] as RolloutWaveStatusView | undefined) ?? "UNSPECIFIED";
}

function toOutcomeView(outcome: GateOutcome): GateOutcomeView {
  if (outcome === GateOutcome.PASS) return "pass";
  if (outcome === GateOutcome.BREACH) return "breach";
  return "unknown";
}

/** NaN (the wire contract's "no value") and infinities become null: JSON has no NaN. */
function finiteOrNull(value: number | undefined): number | null {
  return value !== undefined && Number.isFinite(value) ? value : null;
}

export function toGateResultView(gate: GateResult): GateResultView {
  return {
    gate: gate.gate,
    outcome: toOutcomeView(gate.outcome),
    value: finiteOrNull(gate.value),
    threshold: finiteOrNull(gate.threshold) ?? 0,
    severeThreshold: finiteOrNull(gate.severeThreshold),
    sampleSize: finiteOrNull(gate.sampleSize) ?? 0,
    reason: gate.reason,
    judge: gate.judge === "" ? "threshold" : gate.judge,
    evidence: gate.evidence === undefined ? null : toEvidenceView(gate.evidence),
  };
}

function toEvidenceView(evidence: GateEvidence): GateEvidenceView {
  return {
    test: evidence.test,
    statistic: finiteOrNull(evidence.statistic),
    bound: finiteOrNull(evidence.bound),
    alpha: evidence.alpha,
    canaryTotal: evidence.canaryTotal,
    baselineTotal: evidence.baselineTotal,
    canaryEvents: finiteOrNull(evidence.canaryEvents),
    baselineEvents: finiteOrNull(evidence.baselineEvents),
    estimate: finiteOrNull(evidence.estimate),
    rejected: evidence.rejected,
    errorBudgetBurnedPercent: finiteOrNull(evidence.errorBudget?.burnedPercent),
  };
}

/** Satellite-level rollout id → its wave (and whether it is that wave's reverse rollout). */
export function wavePositions(rollout: MultiClusterRollout): Map<string, WavePosition> {
  const positions = new Map<string, WavePosition>();
  for (const wave of rollout.waves) {
    if (wave.rollout?.id) positions.set(wave.rollout.id, { waveIndex: wave.index, revert: false });
    if (wave.revert?.id) positions.set(wave.revert.id, { waveIndex: wave.index, revert: true });
  }
  return positions;
}

export function decisionKey(waveRolloutId: string, sequence: number): string {
  return `${waveRolloutId}#${sequence}`;
}

export function toDecisionView(decision: RolloutDecision, position: WavePosition | undefined): RolloutDecisionView {
  return {
    key: decisionKey(decision.rolloutId, decision.sequence),
    waveRolloutId: decision.rolloutId,
    waveIndex: position?.waveIndex ?? -1,
    revert: position?.revert ?? false,
    sequence: decision.sequence,
    stepIndex: decision.stepIndex,
    canaryWeight: decision.canaryWeight,
    decision: decision.decision,
    phase: toPhaseView(decision.phase),
    reason: decision.reason,
    router: decision.router,
    atMs: msOf(decision.at),
    gates: decision.gates.map(toGateResultView),
  };
}

export function toIncidentView(incident: Incident): RolloutIncidentView {
  return { id: incident.id, severity: incident.severity, summary: incident.summary, atMs: msOf(incident.at) };
}

function waveViews(rollout: MultiClusterRollout): RolloutWaveView[] {
  return rollout.waves.map((wave) => {
    const report = wave.rollout;
    return {
      index: wave.index,
      satelliteId: wave.satelliteId,
      cluster: wave.cluster || report?.cluster || "",
      // A wave names its region without the cloud; the satellite's region key needs both.
      regionKey: "",
      status: toWaveStatusView(wave.status),
      message: wave.message,
      phase: report ? toPhaseView(report.phase) : "PENDING",
      stepIndex: report?.stepIndex ?? 0,
      canaryWeight: report?.canaryWeight ?? 0,
      stepWeights: [...(report?.steps ?? [])],
      passes: report?.passes ?? 0,
      consecutiveBreaches: report?.consecutiveBreaches ?? 0,
      trafficRouter: report?.trafficRouter ?? "",
      revertPhase: wave.revert ? toPhaseView(wave.revert.phase) : null,
    };
  });
}

/**
 * A rollout with its waves and the given decisions (already chosen: all recent ones for a
 * snapshot, the new ones for a delta) and incidents. `regionKeyOf` finds a satellite's region
 * key (`aws:eu-west-1`), empty when unknown.
 */
export function toRolloutView(
  rollout: MultiClusterRollout,
  decisions: readonly RolloutDecision[],
  incidents: readonly Incident[],
  regionKeyOf: (satelliteId: string) => string = () => "",
): RolloutView {
  const positions = wavePositions(rollout);
  return {
    key: rollout.id,
    id: rollout.id,
    service: rollout.service,
    namespace: rollout.namespace,
    stableVersion: rollout.stableVersion,
    canaryVersion: rollout.canaryVersion,
    strategy: RolloutStrategy[rollout.strategy] ?? "UNSPECIFIED",
    phase: toPhaseView(rollout.phase),
    message: rollout.message,
    origin: rollout.origin === RolloutOrigin.SATELLITE ? "satellite" : "coordinator",
    createdBy: rollout.createdBy,
    createdAtMs: msOf(rollout.createdAt),
    updatedAtMs: msOf(rollout.updatedAt),
    currentWave: rollout.currentWave,
    waves: waveViews(rollout).map((wave) => ({ ...wave, regionKey: regionKeyOf(wave.satelliteId) })),
    decisions: decisions.map((decision) => toDecisionView(decision, positions.get(decision.rolloutId))),
    incidents: incidents.map(toIncidentView),
  };
}
