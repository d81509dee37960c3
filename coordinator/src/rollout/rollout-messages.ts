import { create } from "@bufbuild/protobuf";
import {
  type GateResult,
  type Incident,
  IncidentSchema,
  type MultiClusterRollout,
  MultiClusterRolloutSchema,
  type Rollout,
  type RolloutDecision,
  RolloutDecisionSchema,
  RolloutOrigin,
  RolloutPhase,
  RolloutSchema,
  RolloutStrategy,
  type RolloutWave,
  RolloutWaveSchema,
  TrafficRouterKind,
  timestampFromDate,
} from "@sentra/proto";
import { phaseOf } from "./rollout-phases.js";
import type { HistoryIncident, HistoryStep, RolloutAggregate, RolloutRow, WaveRow } from "./rollout-repository.js";
import { gateOfStored } from "./satellite-event-record.js";
import { waveStatusOf } from "./wave-plan.js";

/** The API message of a recorded rollout: the record, its waves, their latest satellite reports. */
export function multiClusterRolloutOf(aggregate: RolloutAggregate): MultiClusterRollout {
  const { rollout } = aggregate;
  let updatedAt = rollout.updatedAt;
  for (const wave of [...aggregate.waves, ...aggregate.reverts.values()]) {
    if (wave.updatedAt > updatedAt) updatedAt = wave.updatedAt;
  }
  return create(MultiClusterRolloutSchema, {
    id: rollout.id,
    origin: rollout.origin === "coordinator" ? RolloutOrigin.COORDINATOR : RolloutOrigin.SATELLITE,
    service: rollout.service,
    namespace: rollout.namespace,
    stableVersion: rollout.stableVersion,
    canaryVersion: rollout.canaryVersion,
    strategy: enumOf(RolloutStrategy, rollout.strategy, RolloutStrategy.UNSPECIFIED),
    phase: phaseOf(rollout.phase),
    waves: aggregate.waves.map((wave) => waveOf(rollout, wave, aggregate.reverts.get(wave.index))),
    currentWave: rollout.currentWave,
    rollbackCompletedWavesOnFailure: rollout.rollbackCompletedWaves,
    trafficRouter: enumOf(TrafficRouterKind, rollout.trafficRouter, TrafficRouterKind.UNSPECIFIED),
    routeName: rollout.routeName,
    policyYaml: rollout.policyYaml,
    message: rollout.message,
    idempotencyKey: rollout.idempotencyKey ?? "",
    createdBy: rollout.createdBy,
    createdAt: timestampFromDate(rollout.createdAt),
    updatedAt: timestampFromDate(updatedAt),
  });
}

function waveOf(rollout: RolloutRow, wave: WaveRow, revert: WaveRow | undefined): RolloutWave {
  return create(RolloutWaveSchema, {
    index: wave.index,
    satelliteId: wave.satelliteId,
    cluster: wave.cluster,
    region: wave.region,
    status: waveStatusOf(wave.dispatch, wave.phase),
    rollout: wave.rollout ?? unreported(rollout, wave, false),
    revert: revert ? (revert.rollout ?? unreported(rollout, revert, true)) : undefined,
    message: wave.dispatchMessage,
  });
}

/** A wave no satellite has reported on yet: what the coordinator asked for, PENDING. */
function unreported(rollout: RolloutRow, wave: WaveRow, swapped: boolean): Rollout {
  return create(RolloutSchema, {
    id: wave.id,
    satelliteId: wave.satelliteId,
    cluster: wave.cluster,
    namespace: rollout.namespace,
    service: rollout.service,
    stableVersion: swapped ? rollout.canaryVersion : rollout.stableVersion,
    canaryVersion: swapped ? rollout.stableVersion : rollout.canaryVersion,
    phase: RolloutPhase.PENDING,
    parentId: rollout.id,
    message: wave.dispatchMessage,
  });
}

/** A recorded decision as the protobuf message the satellite sent. */
export function decisionOf(step: HistoryStep): RolloutDecision {
  return create(RolloutDecisionSchema, {
    rolloutId: step.rolloutId,
    stepIndex: step.stepIndex,
    canaryWeight: step.canaryWeight,
    gates: step.gates.map((gate) => gateOfStored(gate) as GateResult),
    decision: step.decision,
    at: timestampFromDate(step.at),
    phase: phaseOf(step.phase),
    reason: step.reason,
    router: step.router,
    sequence: step.sequence,
  });
}

export function incidentOf(row: HistoryIncident): Incident {
  return create(IncidentSchema, {
    id: row.id,
    rolloutId: row.rolloutId,
    severity: row.severity,
    summary: row.summary,
    at: timestampFromDate(row.at),
    gates: row.gates.map((gate) => gateOfStored(gate) as GateResult),
  });
}

function enumOf<E extends number>(enumObject: object, name: string, fallback: E): E {
  const value = (enumObject as Record<string, unknown>)[name];
  return typeof value === "number" ? (value as E) : fallback;
}
