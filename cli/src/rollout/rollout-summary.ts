import {
  GateOutcome,
  type GateResult,
  type MultiClusterRollout,
  msOf,
  type Rollout,
  type RolloutDecision,
  RolloutPhase,
  RolloutWaveStatus,
} from "@sentra/proto";
import { formatTable, type Table } from "../output/output-format.js";

export const TERMINAL_ROLLOUT_PHASES = new Set([
  RolloutPhase.PROMOTED,
  RolloutPhase.ROLLED_BACK,
  RolloutPhase.ABORTED,
  RolloutPhase.FAILED,
]);

export function phaseName(phase: RolloutPhase): string {
  return RolloutPhase[phase] ?? String(phase);
}

export function waveStatusName(status: RolloutWaveStatus): string {
  return RolloutWaveStatus[status] ?? String(status);
}

/** `error_rate=0.0021 pass`: one gate of a decision, as short as it can be read. */
export function formatGate(gate: GateResult): string {
  const outcome = (GateOutcome[gate.outcome] ?? "?").toLowerCase();
  const value = gate.outcome === GateOutcome.UNKNOWN ? "?" : Number(gate.value.toPrecision(4)).toString();
  return `${gate.gate}=${value} ${outcome}${gate.conclusive ? " (conclusive)" : ""}`;
}

function waveInFlight(rollout: MultiClusterRollout): Rollout | undefined {
  return rollout.waves[rollout.currentWave]?.rollout;
}

/**
 * One line per observable change of a rollout (`rollout watch`): phase, wave, step, canary weight
 * and the last decision. Equal lines are printed once.
 */
export function rolloutProgressLine(rollout: MultiClusterRollout): string {
  const wave = rollout.waves[rollout.currentWave];
  const inner = waveInFlight(rollout);
  const parts = [
    phaseName(rollout.phase),
    `wave ${rollout.currentWave + 1}/${rollout.waves.length}${wave ? ` ${wave.region || wave.satelliteId} ${waveStatusName(wave.status)}` : ""}`,
  ];
  if (inner && inner.steps.length > 0) {
    parts.push(
      `step ${Math.min(inner.stepIndex + 1, inner.steps.length)}/${inner.steps.length}`,
      `canary ${inner.canaryWeight}%`,
    );
  }
  const decision = inner?.lastDecision;
  if (decision) {
    parts.push(
      decision.gates.length > 0
        ? `${decision.decision}: ${decision.gates.map(formatGate).join(", ")}`
        : decision.decision,
    );
  }
  const message = rollout.message || wave?.message;
  if (TERMINAL_ROLLOUT_PHASES.has(rollout.phase) && message) parts.push(message);
  return parts.join("  ");
}

export function rolloutsTable(rollouts: readonly MultiClusterRollout[]): Table {
  return {
    headers: ["ID", "SERVICE", "VERSIONS", "PHASE", "WAVE", "CANARY", "BY", "UPDATED"],
    rows: rollouts.map((rollout) => {
      const inner = waveInFlight(rollout);
      return [
        rollout.id,
        `${rollout.namespace}/${rollout.service}`,
        `${rollout.stableVersion}→${rollout.canaryVersion}`,
        phaseName(rollout.phase),
        `${Math.min(rollout.currentWave + 1, rollout.waves.length)}/${rollout.waves.length}`,
        inner ? `${inner.canaryWeight}%` : "-",
        rollout.createdBy,
        new Date(msOf(rollout.updatedAt)).toISOString(),
      ];
    }),
  };
}

/** `rollout get`: the rollout, each wave, and the last decision of the wave in flight. */
export function describeRollout(rollout: MultiClusterRollout | undefined): string {
  if (!rollout) return "-";
  const waves = formatTable({
    headers: ["WAVE", "SATELLITE", "REGION", "CLUSTER", "STATUS", "PHASE", "STEP", "CANARY", "MESSAGE"],
    rows: rollout.waves.map((wave) => [
      String(wave.index + 1),
      wave.satelliteId,
      wave.region,
      wave.cluster,
      waveStatusName(wave.status),
      wave.rollout ? phaseName(wave.rollout.phase) : "-",
      wave.rollout && wave.rollout.steps.length > 0
        ? `${Math.min(wave.rollout.stepIndex + 1, wave.rollout.steps.length)}/${wave.rollout.steps.length}`
        : "-",
      wave.rollout ? `${wave.rollout.canaryWeight}%` : "-",
      wave.message,
    ]),
  });
  const decision = waveInFlight(rollout)?.lastDecision;
  return [
    formatTable(rolloutsTable([rollout])),
    rollout.message ? `message: ${rollout.message}\n` : "",
    `\n${waves}`,
    decision
      ? `\nlast decision (${new Date(msOf(decision.at)).toISOString()}): ${decision.decision}, ${decision.reason}\n${formatTable(gatesTable(decision))}`
      : "",
  ].join("");
}

function gatesTable(decision: RolloutDecision): Table {
  return {
    headers: ["GATE", "OUTCOME", "VALUE", "THRESHOLD", "SAMPLES", "JUDGE", "REASON"],
    rows: decision.gates.map((gate) => [
      gate.gate,
      (GateOutcome[gate.outcome] ?? "?").toLowerCase() + (gate.conclusive ? " (conclusive)" : ""),
      gate.outcome === GateOutcome.UNKNOWN ? "?" : Number(gate.value.toPrecision(4)).toString(),
      Number(gate.threshold.toPrecision(4)).toString(),
      String(Math.round(gate.sampleSize)),
      gate.judge,
      gate.reason,
    ]),
  };
}

/** `rollout history`: every decision, oldest first. */
export function decisionsTable(decisions: readonly RolloutDecision[]): Table {
  return {
    headers: ["AT", "ROLLOUT", "#", "STEP", "CANARY", "DECISION", "PHASE", "GATES"],
    rows: decisions.map((decision) => [
      new Date(msOf(decision.at)).toISOString(),
      decision.rolloutId,
      String(decision.sequence),
      String(decision.stepIndex + 1),
      `${decision.canaryWeight}%`,
      decision.decision,
      phaseName(decision.phase),
      decision.gates.map(formatGate).join(", "),
    ]),
  };
}
