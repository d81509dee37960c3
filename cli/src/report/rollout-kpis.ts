import {
  GateOutcome,
  type GateResult,
  type MultiClusterRollout,
  msOf,
  type RolloutDecision,
  RolloutPhase,
} from "@sentra/proto";
import { type Kpi, roundSeconds } from "./kpi.js";

/** Thresholds a rollout report judges by (flags of `sentra report`). */
export interface RolloutKpiThresholds {
  /** A rollback must have moved all traffic back within this long of the decision. @default 10 */
  readonly maxRollbackSeconds: number;
}

export const DEFAULT_ROLLOUT_KPI_THRESHOLDS: RolloutKpiThresholds = { maxRollbackSeconds: 10 };

/**
 * The KPIs of one rollout from its record and decision history: the outcome, per wave the time to
 * detect and to roll back, each gate's worst value against its threshold, and the error budget.
 */
export function rolloutKpis(
  rollout: MultiClusterRollout,
  decisions: readonly RolloutDecision[],
  thresholds: RolloutKpiThresholds = DEFAULT_ROLLOUT_KPI_THRESHOLDS,
): Kpi[] {
  const kpis: Kpi[] = [
    {
      name: "Outcome",
      value: RolloutPhase[rollout.phase] ?? String(rollout.phase),
      unit: "",
      threshold: "= PROMOTED",
      pass: rollout.phase === RolloutPhase.PROMOTED,
      detail: rollout.message,
    },
  ];
  const ids = new Set(decisions.map((decision) => decision.rolloutId));
  for (const wave of rollout.waves) {
    const waveId = wave.rollout?.id;
    if (waveId && ids.has(waveId))
      kpis.push(
        ...waveKpis(
          `wave ${wave.index + 1} (${wave.region || wave.satelliteId})`,
          byRollout(decisions, waveId),
          thresholds,
        ),
      );
    const revertId = wave.revert?.id;
    if (revertId && ids.has(revertId))
      kpis.push(...waveKpis(`wave ${wave.index + 1} revert`, byRollout(decisions, revertId), thresholds));
  }
  return kpis;
}

function byRollout(decisions: readonly RolloutDecision[], rolloutId: string): RolloutDecision[] {
  return decisions.filter((decision) => decision.rolloutId === rolloutId).sort((a, b) => a.sequence - b.sequence);
}

function waveKpis(label: string, decisions: readonly RolloutDecision[], thresholds: RolloutKpiThresholds): Kpi[] {
  const kpis: Kpi[] = [];
  const start = decisions.find((decision) => decision.decision === "start");
  const rollback = decisions.find((decision) => decision.decision === "rollback");
  if (rollback) {
    if (start) {
      kpis.push({
        name: `Time to detect, ${label}`,
        value: roundSeconds(msOf(rollback.at) - msOf(start.at)),
        unit: "s",
        threshold: "",
        pass: null,
        detail: `from the canary's start to the rollback decision: ${rollback.reason}`,
      });
    }
    const complete = decisions.find(
      (decision) => decision.decision === "rollbackComplete" && decision.sequence > rollback.sequence,
    );
    const seconds = complete ? roundSeconds(msOf(complete.at) - msOf(rollback.at)) : null;
    kpis.push({
      name: `Time to roll back, ${label}`,
      value: seconds,
      unit: "s",
      threshold: `≤ ${thresholds.maxRollbackSeconds} s`,
      pass: seconds !== null && seconds <= thresholds.maxRollbackSeconds,
      detail: complete
        ? `from the rollback decision to all traffic on the stable version (${complete.reason})`
        : "the rollback never completed",
    });
  }
  const gates = new Map<string, GateResult[]>();
  for (const decision of decisions) {
    for (const gate of decision.gates) {
      const results = gates.get(gate.gate);
      if (results) results.push(gate);
      else gates.set(gate.gate, [gate]);
    }
  }
  for (const [name, results] of gates) kpis.push(gateKpi(label, name, results));
  const budget = [...decisions]
    .reverse()
    .flatMap((decision) => decision.gates)
    .find((gate) => gate.evidence?.errorBudget !== undefined)?.evidence?.errorBudget;
  if (budget) {
    // NaN: the policy sets no bound, the budget is reported, not gated.
    const bounded = Number.isFinite(budget.maxBurnPercent);
    kpis.push({
      name: `Error budget burned, ${label}`,
      value: Number(budget.burnedPercent.toFixed(2)),
      unit: "%",
      threshold: bounded ? `≤ ${budget.maxBurnPercent} %` : "",
      pass: bounded ? budget.burnedPercent <= budget.maxBurnPercent : null,
      detail: `${budget.excessErrors.toFixed(1)} errors beyond the stable version's rate, of a daily budget of ${budget.dailyBudgetErrors.toFixed(0)} at SLO ${budget.slo}`,
    });
  }
  return kpis;
}

/** A gate over the whole wave: its worst measured value, and whether any evaluation breached. */
function gateKpi(label: string, name: string, results: readonly GateResult[]): Kpi {
  const measured = results.filter((result) => result.outcome !== GateOutcome.UNKNOWN);
  const breaches = results.filter((result) => result.outcome === GateOutcome.BREACH);
  const unknown = results.length - measured.length;
  const worst = breaches[0] ?? [...measured].sort((a, b) => b.value - a.value)[0];
  const threshold = worst?.threshold ?? results[0]?.threshold;
  return {
    name: `Gate ${name}, ${label}`,
    value: worst ? Number(worst.value.toPrecision(4)) : null,
    unit: "",
    threshold: threshold === undefined ? "" : `≤ ${Number(threshold.toPrecision(4))} (no breach)`,
    pass: measured.length === 0 ? null : breaches.length === 0,
    detail:
      `${results.length} evaluations: ${measured.length - breaches.length} pass, ${breaches.length} breach, ${unknown} unknown` +
      (worst?.judge ? `; judge ${worst.judge}` : "") +
      (breaches[0]?.reason ? `; first breach: ${breaches[0].reason}` : ""),
  };
}
