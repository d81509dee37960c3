import { create, fromBinary } from "@bufbuild/protobuf";
import {
  ErrorBudgetSchema,
  type GateEvidence,
  GateEvidenceSchema,
  GateOutcome,
  type GateResult,
  msOf,
  type Rollout,
  type RolloutDecision,
  type SatelliteEvent,
  SatelliteEventSchema,
  timestampDate,
  timestampFromDate,
} from "@sentra/proto";
import type { ReportVersion } from "./report-version.js";
import { type PhaseName, phaseName } from "./rollout-phases.js";

/**
 * Instants an event may carry: 2000-01-01 … 9999-12-31 (DATETIME(3) holds those; anything else is
 * a corrupt or hostile timestamp, refused here rather than by MySQL on every redelivery).
 */
const EVENT_TIME_RANGE_MS = { min: Date.UTC(2000, 0, 1), max: Date.UTC(9999, 11, 31) } as const;

/** Longest event, rollout and incident id accepted (the key columns' width). */
export const MAX_EVENT_ID_LENGTH = 128;

export type SatelliteEventKind = "rollout_transition" | "rollout_decision" | "incident" | "migration_step";

/** Why an event was dropped before reaching MySQL (the `reason` label of the dropped counter). */
export type EventDropReason = "oversized" | "malformed" | "invalid" | "subject_mismatch";

/** A gate result as stored in the `gates` JSON columns; NaN and infinities become null. */
export interface StoredGate {
  gate: string;
  outcome: "PASS" | "BREACH" | "UNKNOWN" | "UNSPECIFIED";
  value: number | null;
  threshold: number | null;
  severeThreshold: number | null;
  sampleSize: number | null;
  reason: string;
  /** Absent in rows written before the sequential judge (threshold). */
  judge?: string;
  conclusive?: boolean;
  /** The sequential judge's evidence, numbers as JSON (NaN → null). */
  evidence?: StoredEvidence;
}

/** A gate's evidence as stored in JSON. */
export interface StoredEvidence {
  test: string;
  statistic: number | null;
  bound: number | null;
  alpha: number | null;
  tolerance: number | null;
  canaryTotal: number | null;
  baselineTotal: number | null;
  canaryEvents: number | null;
  baselineEvents: number | null;
  estimate: number | null;
  canaryQuantile: number | null;
  baselineQuantile: number | null;
  looks: number;
  since: string | null;
  rejected: boolean;
  errorBudget: {
    slo: number | null;
    excessErrors: number | null;
    dailyBudgetErrors: number | null;
    burnedPercent: number | null;
    maxBurnPercent: number | null;
  } | null;
}

/** A `rollout_steps` row. */
export interface StepRow {
  rolloutId: string;
  sequence: number;
  satelliteId: string;
  stepIndex: number;
  canaryWeight: number;
  decision: string;
  phase: PhaseName;
  reason: string;
  router: string;
  gates: StoredGate[];
  at: Date;
  eventId: string;
}

/** An `incidents` row. */
export interface IncidentRow {
  id: string;
  rolloutId: string;
  satelliteId: string;
  severity: string;
  summary: string;
  gates: StoredGate[];
  at: Date;
  eventId: string;
}

/**
 * What an event says about the state of one satellite-level rollout: the whole rollout (a
 * transition), or the fields a decision changes.
 */
export interface WaveReport {
  rolloutId: string;
  rollout: Rollout | null;
  decision: RolloutDecision | null;
  version: ReportVersion;
}

/** One event, decoded, checked and mapped to the rows it writes. */
export interface SatelliteEventRecord {
  eventId: string;
  satelliteId: string;
  kind: SatelliteEventKind;
  at: Date;
  streamSeq: number;
  rolloutId: string | null;
  /** The engine's state after the event (JSON), kept with the rollout it belongs to. */
  stateJson: string | null;
  report: WaveReport | null;
  step: StepRow | null;
  incident: IncidentRow | null;
}

export type SatelliteEventDecoding =
  | { ok: true; record: SatelliteEventRecord }
  | {
      ok: false;
      reason: EventDropReason;
      /** For `subject_mismatch`: the satellite id the body claims (clipped), to log beside the subject's. */
      bodySatelliteId?: string;
    };

/** Where the message came from: its subject's satellite id, stream sequence and stream timestamp. */
export interface EventEnvelope {
  subjectSatelliteId: string;
  streamSeq: number;
  /** When JetStream stored the message; stands in for an event without `at`. */
  storedAtMs: number;
  maxBytes: number;
}

/**
 * Decodes a `SatelliteEvent` from the event stream and maps it to rows. Anything a satellite
 * could get wrong is a drop reason, never an exception: the consumer terminates such messages.
 */
export function toSatelliteEventRecord(payload: Uint8Array, envelope: EventEnvelope): SatelliteEventDecoding {
  if (payload.byteLength > envelope.maxBytes) return { ok: false, reason: "oversized" };
  let event: SatelliteEvent;
  try {
    event = fromBinary(SatelliteEventSchema, payload);
  } catch {
    return { ok: false, reason: "malformed" };
  }
  if (!validId(event.eventId) || !event.satelliteId || !validTimes(event)) return { ok: false, reason: "invalid" };
  if (event.satelliteId !== envelope.subjectSatelliteId) {
    return { ok: false, reason: "subject_mismatch", bodySatelliteId: event.satelliteId.slice(0, MAX_EVENT_ID_LENGTH) };
  }
  const atMs = msOf(event.at) || envelope.storedAtMs;
  const base = {
    eventId: event.eventId,
    satelliteId: event.satelliteId,
    at: new Date(atMs),
    streamSeq: envelope.streamSeq,
    stateJson: event.rolloutStateJson || null,
    step: null,
    incident: null,
  };
  const body = event.body;
  switch (body.case) {
    case "rolloutTransition": {
      const rollout = body.value;
      if (!validId(rollout.id)) return { ok: false, reason: "invalid" };
      if (rollout.satelliteId && rollout.satelliteId !== event.satelliteId) {
        return {
          ok: false,
          reason: "subject_mismatch",
          bodySatelliteId: rollout.satelliteId.slice(0, MAX_EVENT_ID_LENGTH),
        };
      }
      if (!rollout.satelliteId) rollout.satelliteId = event.satelliteId;
      return {
        ok: true,
        record: {
          ...base,
          kind: "rollout_transition",
          rolloutId: rollout.id,
          report: {
            rolloutId: rollout.id,
            rollout,
            decision: null,
            version: {
              atMs: msOf(rollout.updatedAt) || atMs,
              sequence: rollout.lastDecision?.sequence ?? 0,
              streamSeq: envelope.streamSeq,
            },
          },
        },
      };
    }
    case "rolloutDecision": {
      const decision = body.value;
      // Sequences start at 1: an unset sequence would make every decision a "duplicate" of the first.
      if (!validId(decision.rolloutId) || decision.sequence < 1) return { ok: false, reason: "invalid" };
      const decidedAtMs = msOf(decision.at) || atMs;
      return {
        ok: true,
        record: {
          ...base,
          kind: "rollout_decision",
          rolloutId: decision.rolloutId,
          report: {
            rolloutId: decision.rolloutId,
            rollout: null,
            decision,
            version: { atMs: decidedAtMs, sequence: decision.sequence, streamSeq: envelope.streamSeq },
          },
          step: {
            rolloutId: decision.rolloutId,
            sequence: decision.sequence,
            satelliteId: event.satelliteId,
            stepIndex: decision.stepIndex,
            canaryWeight: decision.canaryWeight,
            decision: clip(decision.decision, 32),
            phase: phaseName(decision.phase),
            reason: clip(decision.reason, 2048),
            router: clip(decision.router, 128),
            gates: decision.gates.map(storedGate),
            at: new Date(decidedAtMs),
            eventId: event.eventId,
          },
        },
      };
    }
    case "incident": {
      const incident = body.value;
      if (!validId(incident.id) || incident.rolloutId.length > MAX_EVENT_ID_LENGTH) {
        return { ok: false, reason: "invalid" };
      }
      return {
        ok: true,
        record: {
          ...base,
          kind: "incident",
          rolloutId: incident.rolloutId || null,
          report: null,
          incident: {
            id: incident.id,
            rolloutId: incident.rolloutId,
            satelliteId: event.satelliteId,
            severity: clip(incident.severity || "info", 16),
            summary: clip(incident.summary, 2048),
            gates: incident.gates.map(storedGate),
            at: new Date(msOf(incident.at) || atMs),
            eventId: event.eventId,
          },
        },
      };
    }
    case "migrationStep":
      // Recorded (de-duplicated) only: the migration saga learns step results from its gRPC calls.
      return { ok: true, record: { ...base, kind: "migration_step", rolloutId: null, report: null } };
    default:
      return { ok: false, reason: "invalid" };
  }
}

/** A gate result as plain JSON (NaN is not JSON). */
export function storedGate(gate: GateResult): StoredGate {
  return {
    gate: clip(gate.gate, 128),
    outcome: (GateOutcome[gate.outcome] ?? "UNSPECIFIED") as StoredGate["outcome"],
    value: finiteOrNull(gate.value),
    threshold: finiteOrNull(gate.threshold),
    severeThreshold: finiteOrNull(gate.severeThreshold),
    sampleSize: finiteOrNull(gate.sampleSize),
    reason: clip(gate.reason, 1024),
    judge: clip(gate.judge === "" ? "threshold" : gate.judge, 32),
    conclusive: gate.conclusive,
    ...(gate.evidence === undefined ? {} : { evidence: storedEvidence(gate.evidence) }),
  };
}

function storedEvidence(evidence: GateEvidence): StoredEvidence {
  const budget = evidence.errorBudget;
  return {
    test: clip(evidence.test, 32),
    statistic: finiteOrNull(evidence.statistic),
    bound: finiteOrNull(evidence.bound),
    alpha: finiteOrNull(evidence.alpha),
    tolerance: finiteOrNull(evidence.tolerance),
    canaryTotal: finiteOrNull(evidence.canaryTotal),
    baselineTotal: finiteOrNull(evidence.baselineTotal),
    canaryEvents: finiteOrNull(evidence.canaryEvents),
    baselineEvents: finiteOrNull(evidence.baselineEvents),
    estimate: finiteOrNull(evidence.estimate),
    canaryQuantile: finiteOrNull(evidence.canaryQuantile),
    baselineQuantile: finiteOrNull(evidence.baselineQuantile),
    looks: evidence.looks,
    since: evidence.since === undefined ? null : timestampDate(evidence.since).toISOString(),
    rejected: evidence.rejected,
    errorBudget:
      budget === undefined
        ? null
        : {
            slo: finiteOrNull(budget.slo),
            excessErrors: finiteOrNull(budget.excessErrors),
            dailyBudgetErrors: finiteOrNull(budget.dailyBudgetErrors),
            burnedPercent: finiteOrNull(budget.burnedPercent),
            maxBurnPercent: finiteOrNull(budget.maxBurnPercent),
          },
  };
}

function evidenceOfStored(stored: StoredEvidence): GateEvidence {
  const nan = (value: number | null | undefined) => value ?? Number.NaN;
  const budget = stored.errorBudget;
  return create(GateEvidenceSchema, {
    test: stored.test,
    statistic: nan(stored.statistic),
    bound: nan(stored.bound),
    alpha: nan(stored.alpha),
    tolerance: nan(stored.tolerance),
    canaryTotal: nan(stored.canaryTotal),
    baselineTotal: nan(stored.baselineTotal),
    canaryEvents: nan(stored.canaryEvents),
    baselineEvents: nan(stored.baselineEvents),
    estimate: nan(stored.estimate),
    canaryQuantile: nan(stored.canaryQuantile),
    baselineQuantile: nan(stored.baselineQuantile),
    looks: stored.looks,
    ...(stored.since === null ? {} : { since: timestampFromDate(new Date(stored.since)) }),
    rejected: stored.rejected,
    ...(budget === null
      ? {}
      : {
          errorBudget: create(ErrorBudgetSchema, {
            slo: nan(budget.slo),
            excessErrors: nan(budget.excessErrors),
            dailyBudgetErrors: nan(budget.dailyBudgetErrors),
            burnedPercent: nan(budget.burnedPercent),
            maxBurnPercent: nan(budget.maxBurnPercent),
          }),
        }),
  });
}

/** The protobuf gate result of a stored one (null value back to NaN, as the contract says). */
export function gateOfStored(stored: StoredGate): Partial<GateResult> {
  const outcome = (GateOutcome as unknown as Record<string, number | undefined>)[stored.outcome];
  return {
    gate: stored.gate,
    outcome: (outcome ?? GateOutcome.UNSPECIFIED) as GateOutcome,
    value: stored.value ?? Number.NaN,
    threshold: stored.threshold ?? 0,
    severeThreshold: stored.severeThreshold ?? 0,
    sampleSize: stored.sampleSize ?? 0,
    reason: stored.reason,
    judge: stored.judge ?? "threshold",
    conclusive: stored.conclusive === true,
    ...(stored.evidence === undefined || stored.evidence === null
      ? {}
      : { evidence: evidenceOfStored(stored.evidence) }),
  };
}

function finiteOrNull(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}

/** Every timestamp the event carries is unset or within {@link EVENT_TIME_RANGE_MS}. */
function validTimes(event: SatelliteEvent): boolean {
  const body = event.body;
  const stamps = [event.at];
  if (body.case === "rolloutTransition")
    stamps.push(body.value.updatedAt, body.value.startedAt, body.value.lastDecision?.at);
  if (body.case === "rolloutDecision") stamps.push(body.value.at);
  if (body.case === "incident") stamps.push(body.value.at);
  return stamps.every((stamp) => {
    const ms = msOf(stamp);
    return ms === 0 || (ms >= EVENT_TIME_RANGE_MS.min && ms <= EVENT_TIME_RANGE_MS.max);
  });
}

function validId(id: string): boolean {
  return id.length > 0 && id.length <= MAX_EVENT_ID_LENGTH;
}

/** Cuts a satellite-supplied string to its column's width, so a long reason never fails a write. */
export function clip(text: string, maxLength: number): string {
  return text.length <= maxLength ? text : `${text.slice(0, maxLength - 1)}…`;
}
