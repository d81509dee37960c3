import { create } from "@bufbuild/protobuf";
import {
  GateOutcome,
  MigrationPlanSchema,
  MigrationSchema,
  MigrationState,
  MultiClusterRolloutSchema,
  RolloutDecisionSchema,
  RolloutPhase,
  RolloutWaveStatus,
  timestampFromMs,
} from "@sentra/proto";
import { describe, expect, it } from "vitest";
import { planJson } from "../migration/arbitrage-estate-adapter.js";
import { breakEvenHours, planViewFromDetails, toMigrationView, toOpportunityView } from "./arbitrage-views.js";
import { toRolloutView } from "./rollout-views.js";

/** checkout-api, 3 × 0.25 of an m5.large, from 0.10 to 0.02 USD/h (the e2e's numbers). */
const plan = create(MigrationPlanSchema, {
  workload: { satelliteId: "aws-us-east-1", cluster: "sim", namespace: "default", name: "checkout-api" },
  sourceCloud: "aws",
  sourceRegion: "us-east-1",
  sourceSatelliteId: "aws-us-east-1",
  sourceCluster: "sim",
  sourceInstanceType: "m5.large",
  sourcePriceUsdPerHour: 0.1,
  sourceInstanceShare: 0.25,
  targetCloud: "aws",
  targetRegion: "us-east-2",
  targetSatelliteId: "aws-us-east-2",
  targetCluster: "sim",
  targetInstanceType: "m5.large",
  targetPriceUsdPerHour: 0.02,
  targetInstanceShare: 0.25,
  replicas: 3,
  costNowUsdPerHour: 0.075,
  costTargetUsdPerHour: 0.015,
  horizonHours: 24,
  savings24hUsd: 1.44,
  stateGb: 10,
  stateGbFrom: "default",
  egressUsdPerGb: 0.01,
  egressUsd: 0.1,
  readinessEstimateSeconds: 300,
  overlapUsd: 0.0075,
  marginUsd: 1.3325,
  accepted: true,
  priced: true,
  evaluatedAt: timestampFromMs(5_000),
});

describe("arbitrage views", () => {
  it("shows a plan's arithmetic with its break-even time", () => {
    const view = toOpportunityView(plan);
    expect(view).toMatchObject({
      key: "default/checkout-api",
      workloadId: "default/checkout-api",
      source: { regionKey: "aws:us-east-1", instanceType: "m5.large", usdPerHour: 0.075, instanceShare: 0.25 },
      target: { regionKey: "aws:us-east-2", satelliteId: "aws-us-east-2", usdPerHour: 0.015 },
      horizonHours: 24,
      savingsUsd: 1.44,
      egressUsd: 0.1,
      overlapUsd: 0.0075,
      marginUsd: 1.3325,
      evaluatedAtMs: 5_000,
    });
    expect(view.savingUsdPerHour).toBeCloseTo(0.06, 12);
    // (0.10 egress + 0.0075 overlap) / 0.06 saved per hour.
    expect(view.breakEvenHours).toBeCloseTo(1.7916666, 6);
  });

  it("has no break-even for a move that saves nothing", () => {
    expect(breakEvenHours(0, 0.1, 0.01)).toBeNull();
    expect(breakEvenHours(-0.07, 0.4, 0.01)).toBeNull();
    expect(breakEvenHours(0.5, 0, 0)).toBe(0);
  });

  it("reads the plan back out of a refusal's details, and nothing out of other details", () => {
    const refused = create(MigrationPlanSchema, {
      ...plan,
      accepted: false,
      marginUsd: -1,
      refusalCode: "MARGIN_NOT_POSITIVE",
      refusalReason: "no",
    });
    expect(planViewFromDetails(planJson(refused))).toMatchObject({
      marginUsd: -1,
      refusalCode: "MARGIN_NOT_POSITIVE",
      accepted: false,
    });
    expect(planViewFromDetails({ workload: "default/x", migrationId: "m" })).toBeUndefined();
    expect(planViewFromDetails(undefined)).toBeUndefined();
  });

  it("shows a migration step by step, with its regions", () => {
    const view = toMigrationView(
      create(MigrationSchema, {
        id: "m-1",
        plan,
        state: MigrationState.SCALING_UP_TARGET,
        steps: [
          { sequence: 1, state: MigrationState.PLANNED, at: timestampFromMs(1), detail: "dry run accepted" },
          { sequence: 2, state: MigrationState.LOCKED, at: timestampFromMs(2) },
          { sequence: 3, state: MigrationState.SCALING_UP_TARGET, at: timestampFromMs(3) },
        ],
        targetReplicasGoal: 3,
      }),
    );
    expect(view).toMatchObject({
      key: "m-1",
      workloadId: "default/checkout-api",
      sourceRegionKey: "aws:us-east-1",
      targetRegionKey: "aws:us-east-2",
      state: "SCALING_UP_TARGET",
      targetReplicasGoal: 3,
      finishedAtMs: 0,
    });
    expect(view.steps.map((step) => step.state)).toEqual(["PLANNED", "LOCKED", "SCALING_UP_TARGET"]);
  });
});

describe("rollout views", () => {
  it("puts each decision on its wave and turns NaN values into null", () => {
    const rollout = create(MultiClusterRolloutSchema, {
      id: "ro-1",
      service: "checkout",
      namespace: "shop",
      phase: RolloutPhase.PROGRESSING,
      waves: [
        {
          index: 0,
          satelliteId: "aws-us-east-1",
          status: RolloutWaveStatus.PROMOTED,
          rollout: { id: "ro-1-w1", phase: RolloutPhase.PROMOTED, steps: [50, 100], stepIndex: 1, canaryWeight: 100 },
          revert: { id: "rev-1", phase: RolloutPhase.PROGRESSING },
        },
        {
          index: 1,
          satelliteId: "aws-eu-west-1",
          status: RolloutWaveStatus.RUNNING,
          rollout: { id: "ro-1-w2", phase: RolloutPhase.PROGRESSING, steps: [50, 100], canaryWeight: 50, passes: 1 },
        },
      ],
    });
    const decisions = [
      create(RolloutDecisionSchema, {
        rolloutId: "ro-1-w2",
        sequence: 4,
        canaryWeight: 50,
        decision: "pass",
        at: timestampFromMs(9),
        gates: [
          {
            gate: "error_rate",
            outcome: GateOutcome.PASS,
            value: 0.002,
            threshold: 0.01,
            severeThreshold: 0.05,
            sampleSize: 120,
            judge: "sequential",
            evidence: {
              test: "mSPRT",
              statistic: 2.5,
              bound: 200,
              alpha: 0.005,
              canaryTotal: 120,
              baselineTotal: 1080,
              canaryEvents: 0,
              baselineEvents: 5,
              estimate: 0,
              canaryQuantile: Number.NaN,
              baselineQuantile: Number.NaN,
              rejected: false,
              errorBudget: { burnedPercent: 0 },
            },
          },
          {
            gate: "p95_latency_ms",
            outcome: GateOutcome.UNKNOWN,
            value: Number.NaN,
            threshold: 400,
            severeThreshold: Number.NaN,
          },
        ],
      }),
      create(RolloutDecisionSchema, { rolloutId: "rev-1", sequence: 1, decision: "pass" }),
      create(RolloutDecisionSchema, { rolloutId: "elsewhere", sequence: 1 }),
    ];
    const view = toRolloutView(rollout, decisions, [], (id) => (id === "aws-eu-west-1" ? "aws:eu-west-1" : ""));
    expect(
      view.waves.map((wave) => [wave.status, wave.phase, wave.regionKey, wave.stepWeights, wave.revertPhase]),
    ).toEqual([
      ["PROMOTED", "PROMOTED", "", [50, 100], "PROGRESSING"],
      ["RUNNING", "PROGRESSING", "aws:eu-west-1", [50, 100], null],
    ]);
    expect(view.decisions.map((d) => [d.key, d.waveIndex, d.revert])).toEqual([
      ["ro-1-w2#4", 1, false],
      ["rev-1#1", 0, true],
      ["elsewhere#1", -1, false],
    ]);
    expect(view.decisions[0]?.gates).toEqual([
      {
        gate: "error_rate",
        outcome: "pass",
        value: 0.002,
        threshold: 0.01,
        severeThreshold: 0.05,
        sampleSize: 120,
        reason: "",
        judge: "sequential",
        evidence: {
          test: "mSPRT",
          statistic: 2.5,
          bound: 200,
          alpha: 0.005,
          canaryTotal: 120,
          baselineTotal: 1080,
          canaryEvents: 0,
          baselineEvents: 5,
          estimate: 0,
          rejected: false,
          errorBudgetBurnedPercent: 0,
        },
      },
      {
        gate: "p95_latency_ms",
        outcome: "unknown",
        value: null,
        threshold: 400,
        severeThreshold: null,
        sampleSize: 0,
        reason: "",
        // Records from before the sequential judge have no judge: they were threshold gates.
        judge: "threshold",
        evidence: null,
      },
    ]);
    // The whole view is plain JSON: nothing is lost on the wire.
    expect(JSON.parse(JSON.stringify(view))).toEqual(view);
  });
});
