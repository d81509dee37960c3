import { create, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import {
  ErrorBudgetSchema,
  GateEvidenceSchema,
  GateOutcome,
  MigrationStepResultSchema,
  RolloutDecisionSchema,
  RolloutPhase,
  RolloutSchema,
  SatelliteEventSchema,
  timestampFromMs,
} from "@sentra/proto";
import { describe, expect, it } from "vitest";
import { isNewerReport } from "./report-version.js";
import { gateOfStored, toSatelliteEventRecord } from "./satellite-event-record.js";

const AT = Date.parse("2026-11-23T10:00:00.000Z");
const envelope = { subjectSatelliteId: "aws-eu-west-1", streamSeq: 42, storedAtMs: AT + 5_000, maxBytes: 10_000 };

function encode(event: Omit<MessageInitShape<typeof SatelliteEventSchema>, "$typeName">): Uint8Array {
  return toBinary(
    SatelliteEventSchema,
    create(SatelliteEventSchema, { eventId: "ev-1", satelliteId: "aws-eu-west-1", at: timestampFromMs(AT), ...event }),
  );
}

describe("satellite event → record", () => {
  it("maps a decision to a rollout_steps row with its gate values, and to a state patch ordered by its sequence", () => {
    const payload = encode({
      rolloutStateJson: '{"phase":"progressing"}',
      body: {
        case: "rolloutDecision",
        value: {
          $typeName: "sentra.v1.RolloutDecision",
          rolloutId: "ro-1-w1",
          stepIndex: 1,
          canaryWeight: 20,
          decision: "breach",
          at: timestampFromMs(AT - 100),
          phase: RolloutPhase.PROGRESSING,
          reason: "error_rate 0.03 > 0.01",
          router: "gateway-api",
          sequence: 7,
          gates: [
            {
              $typeName: "sentra.v1.GateResult",
              gate: "error_rate",
              outcome: GateOutcome.BREACH,
              value: 0.03,
              threshold: 0.01,
              severeThreshold: 0.05,
              sampleSize: 420,
              reason: "above threshold",
              judge: "sequential",
              conclusive: true,
              evidence: create(GateEvidenceSchema, {
                test: "mSPRT",
                statistic: 412.5,
                bound: 200,
                alpha: 0.005,
                tolerance: 0.2,
                canaryTotal: 420,
                baselineTotal: 3780,
                canaryEvents: 13,
                baselineEvents: 19,
                estimate: 6.1,
                canaryQuantile: Number.NaN,
                baselineQuantile: Number.NaN,
                since: timestampFromMs(AT - 60_000),
                rejected: true,
                errorBudget: create(ErrorBudgetSchema, {
                  slo: 0.999,
                  excessErrors: 10.9,
                  dailyBudgetErrors: 8640,
                  burnedPercent: 0.126,
                  maxBurnPercent: Number.NaN,
                }),
              }),
            },
            {
              $typeName: "sentra.v1.GateResult",
              gate: "log_error_ratio",
              outcome: GateOutcome.UNKNOWN,
              value: Number.NaN,
              threshold: 0.005,
              severeThreshold: 0.05,
              sampleSize: 3,
              reason: "too few log lines",
              judge: "threshold",
              conclusive: false,
            },
          ],
        },
      },
    });
    const result = toSatelliteEventRecord(payload, envelope);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const { record } = result;
    expect(record).toMatchObject({
      eventId: "ev-1",
      kind: "rollout_decision",
      rolloutId: "ro-1-w1",
      stateJson: '{"phase":"progressing"}',
      streamSeq: 42,
    });
    expect(record.report?.version).toEqual({ atMs: AT - 100, sequence: 7, streamSeq: 42 });
    expect(record.step).toMatchObject({
      rolloutId: "ro-1-w1",
      sequence: 7,
      stepIndex: 1,
      canaryWeight: 20,
      decision: "breach",
      phase: "PROGRESSING",
      router: "gateway-api",
      at: new Date(AT - 100),
    });
    // NaN is not JSON: an unknown value is stored as null and read back as NaN.
    expect(record.step?.gates).toEqual([
      {
        gate: "error_rate",
        outcome: "BREACH",
        value: 0.03,
        threshold: 0.01,
        severeThreshold: 0.05,
        sampleSize: 420,
        reason: "above threshold",
        judge: "sequential",
        conclusive: true,
        evidence: {
          test: "mSPRT",
          statistic: 412.5,
          bound: 200,
          alpha: 0.005,
          tolerance: 0.2,
          canaryTotal: 420,
          baselineTotal: 3780,
          canaryEvents: 13,
          baselineEvents: 19,
          estimate: 6.1,
          canaryQuantile: null,
          baselineQuantile: null,
          looks: 0,
          since: new Date(AT - 60_000).toISOString(),
          rejected: true,
          errorBudget: {
            slo: 0.999,
            excessErrors: 10.9,
            dailyBudgetErrors: 8640,
            burnedPercent: 0.126,
            maxBurnPercent: null,
          },
        },
      },
      {
        gate: "log_error_ratio",
        outcome: "UNKNOWN",
        value: null,
        threshold: 0.005,
        severeThreshold: 0.05,
        sampleSize: 3,
        reason: "too few log lines",
        judge: "threshold",
        conclusive: false,
      },
    ]);
    expect(JSON.parse(JSON.stringify(record.step?.gates))).toEqual(record.step?.gates);
    const back = gateOfStored(record.step?.gates[1] as never);
    expect(back.outcome).toBe(GateOutcome.UNKNOWN);
    expect(Number.isNaN(back.value)).toBe(true);
    // The evidence reads back as it was sent (null back to NaN).
    const sequential = gateOfStored(record.step?.gates[0] as never);
    expect(sequential).toMatchObject({ judge: "sequential", conclusive: true });
    expect(sequential.evidence).toMatchObject({ test: "mSPRT", statistic: 412.5, rejected: true, canaryEvents: 13 });
    expect(Number.isNaN(sequential.evidence?.canaryQuantile)).toBe(true);
    expect(sequential.evidence?.since).toEqual(timestampFromMs(AT - 60_000));
    expect(Number.isNaN(sequential.evidence?.errorBudget?.maxBurnPercent)).toBe(true);
  });

  it("maps a transition to the whole rollout, versioned by its updated_at and last decision", () => {
    const rollout = create(RolloutSchema, {
      id: "ro-1-w1",
      phase: RolloutPhase.ROLLED_BACK,
      updatedAt: timestampFromMs(AT + 10),
      lastDecision: { sequence: 9 },
    });
    const result = toSatelliteEventRecord(encode({ body: { case: "rolloutTransition", value: rollout } }), envelope);
    expect(result.ok && result.record.report).toMatchObject({
      rolloutId: "ro-1-w1",
      version: { atMs: AT + 10, sequence: 9, streamSeq: 42 },
    });
    // The subject's satellite fills in a body that leaves it out.
    expect(result.ok && result.record.report?.rollout?.satelliteId).toBe("aws-eu-west-1");
    expect(result.ok && result.record.step).toBeNull();
  });

  it("maps an incident to an incidents row; an event without a time takes the stream's", () => {
    const payload = encode({
      at: undefined,
      body: {
        case: "incident",
        value: {
          $typeName: "sentra.v1.Incident",
          id: "inc-1",
          rolloutId: "ro-1-w1",
          severity: "critical",
          summary: "rolling back from 20%",
          gates: [],
        },
      },
    });
    const result = toSatelliteEventRecord(payload, envelope);
    expect(result.ok && result.record.incident).toMatchObject({
      id: "inc-1",
      rolloutId: "ro-1-w1",
      severity: "critical",
      at: new Date(AT + 5_000),
    });
    expect(result.ok && result.record.at).toEqual(new Date(AT + 5_000));
  });

  it("records a migration step result without touching rollouts", () => {
    const result = toSatelliteEventRecord(
      encode({ body: { case: "migrationStep", value: create(MigrationStepResultSchema, { migrationId: "m1" }) } }),
      envelope,
    );
    expect(result.ok && result.record).toMatchObject({ kind: "migration_step", rolloutId: null, report: null });
  });

  it("gives every malformed or inconsistent event a drop reason instead of throwing", () => {
    const decision = (sequence: number, rolloutId = "ro-1") =>
      encode({
        body: { case: "rolloutDecision", value: create(RolloutDecisionSchema, { rolloutId, sequence }) },
      });
    expect(toSatelliteEventRecord(new Uint8Array([0xff, 0xff, 0xff]), envelope)).toEqual({
      ok: false,
      reason: "malformed",
    });
    expect(toSatelliteEventRecord(new Uint8Array(20_000), envelope)).toEqual({ ok: false, reason: "oversized" });
    expect(toSatelliteEventRecord(encode({ eventId: "" }), envelope)).toEqual({ ok: false, reason: "invalid" });
    expect(toSatelliteEventRecord(encode({}), envelope)).toEqual({ ok: false, reason: "invalid" });
    expect(toSatelliteEventRecord(encode({ satelliteId: "gcp-x" }), envelope)).toEqual({
      ok: false,
      reason: "subject_mismatch",
      bodySatelliteId: "gcp-x",
    });
    expect(
      toSatelliteEventRecord(
        encode({
          body: { case: "rolloutTransition", value: create(RolloutSchema, { id: "r", satelliteId: "gcp-x" }) },
        }),
        envelope,
      ),
    ).toEqual({ ok: false, reason: "subject_mismatch", bodySatelliteId: "gcp-x" });
    // Sequence 0 is "unset": accepting it would make every later decision a duplicate of the first.
    expect(toSatelliteEventRecord(decision(0), envelope)).toEqual({ ok: false, reason: "invalid" });
    expect(toSatelliteEventRecord(decision(1, ""), envelope)).toEqual({ ok: false, reason: "invalid" });
    expect(toSatelliteEventRecord(decision(1, "x".repeat(129)), envelope)).toEqual({ ok: false, reason: "invalid" });
    expect(toSatelliteEventRecord(decision(1), envelope).ok).toBe(true);
    // Timestamps MySQL cannot hold (a flipped bit in the seconds) are refused here, not on every redelivery.
    const farFuture = { seconds: 10n ** 12n, nanos: 0 };
    expect(
      toSatelliteEventRecord(encode({ at: { $typeName: "google.protobuf.Timestamp", ...farFuture } }), envelope),
    ).toEqual({
      ok: false,
      reason: "invalid",
    });
    expect(
      toSatelliteEventRecord(
        encode({
          body: {
            case: "incident",
            value: {
              $typeName: "sentra.v1.Incident",
              id: "i1",
              rolloutId: "",
              severity: "",
              summary: "",
              gates: [],
              at: timestampFromMs(-1_000),
            },
          },
        }),
        envelope,
      ),
    ).toEqual({ ok: false, reason: "invalid" });
  });

  it("cuts over-long satellite strings to their column's width", () => {
    const result = toSatelliteEventRecord(
      encode({
        body: {
          case: "rolloutDecision",
          value: create(RolloutDecisionSchema, { rolloutId: "r", sequence: 1, reason: "x".repeat(5_000) }),
        },
      }),
      envelope,
    );
    expect(result.ok && result.record.step?.reason.length).toBe(2048);
  });
});

describe("report order", () => {
  it("orders by state time, then decision sequence, then stream sequence; anything beats nothing", () => {
    const base = { atMs: 1_000, sequence: 5, streamSeq: 10 };
    expect(isNewerReport(base, null)).toBe(true);
    expect(isNewerReport({ ...base, atMs: 999, sequence: 99, streamSeq: 99 }, base)).toBe(false);
    expect(isNewerReport({ ...base, atMs: 1_001, sequence: 0, streamSeq: 0 }, base)).toBe(true);
    expect(isNewerReport({ ...base, sequence: 6, streamSeq: 0 }, base)).toBe(true);
    expect(isNewerReport({ ...base, sequence: 4, streamSeq: 99 }, base)).toBe(false);
    expect(isNewerReport({ ...base, streamSeq: 11 }, base)).toBe(true);
    // The same report twice is not newer: re-applying it changes nothing.
    expect(isNewerReport(base, base)).toBe(false);
  });
});
