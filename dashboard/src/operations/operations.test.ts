import type {
  MigrationPlanView,
  MigrationView,
  OpportunityView,
  RolloutDecisionView,
} from "@sentra/common/dashboard-protocol";
import { describe, expect, it } from "vitest";
import { formatGateValue, formatHours, formatSeconds, formatUsdSigned } from "../format";
import {
  chartScale,
  describeEvidence,
  evidenceProgress,
  evidenceRange,
  gateSeries,
  niceCeil,
  passingSide,
  weightChanges,
} from "./gate-chart";
import { rankOpportunities } from "./opportunity-ranking";
import { planArithmetic } from "./plan-arithmetic";
import { sagaOutcome, sagaStages } from "./saga-progress";

/** The e2e's checkout-api move: 3 × 0.25 of an m5.large, 0.10 → 0.02 USD/h, 10 GB at 0.01 USD/GB. */
const plan: MigrationPlanView = {
  workload: { satelliteId: "aws-us-east-1", cluster: "sim", namespace: "default", name: "checkout-api" },
  workloadId: "default/checkout-api",
  replicas: 3,
  source: {
    regionKey: "aws:us-east-1",
    satelliteId: "aws-us-east-1",
    cluster: "sim",
    instanceType: "m5.large",
    instanceUsdPerHour: 0.1,
    instanceShare: 0.25,
    usdPerHour: 0.075,
    priceObservedAtMs: 0,
    priceSource: "live",
  },
  target: {
    regionKey: "aws:us-east-2",
    satelliteId: "aws-us-east-2",
    cluster: "sim",
    instanceType: "m5.large",
    instanceUsdPerHour: 0.02,
    instanceShare: 0.25,
    usdPerHour: 0.015,
    priceObservedAtMs: 0,
    priceSource: "model",
  },
  priced: true,
  savingUsdPerHour: 0.06,
  horizonHours: 24,
  savingsUsd: 1.44,
  stateGb: 10,
  stateGbFrom: "default",
  egressUsdPerGb: 0.01,
  egressUsd: 0.1,
  egressPriceMatch: "default",
  readinessEstimateSeconds: 300,
  overlapUsd: 0.0075,
  marginUsd: 1.3325,
  minMarginUsd: 0,
  breakEvenHours: 0.1075 / 0.06,
  accepted: true,
  refusalCode: "",
  refusalReason: "",
  evaluatedAtMs: 0,
};

describe("opportunity ranking", () => {
  it("ranks by margin, then by saving per hour, then by workload", () => {
    const entry = (key: string, marginUsd: number, savingUsdPerHour: number) =>
      ({ key, marginUsd, savingUsdPerHour }) as OpportunityView;
    const ranked = rankOpportunities([entry("b", 1, 0.1), entry("a", 1, 0.1), entry("c", 3, 0.01), entry("d", 1, 0.2)]);
    expect(ranked.map((o) => o.key)).toEqual(["c", "d", "a", "b"]);
  });
});

describe("plan arithmetic", () => {
  it("writes out every term of the margin with its units", () => {
    const lines = Object.fromEntries(
      planArithmetic(plan).map((line) => [line.id, [line.formula, line.value, line.tone]]),
    );
    expect(lines).toEqual({
      costNow: ["3 × 0.25 × $0.100/h m5.large", "$0.0750/h", "neutral"],
      costTarget: ["3 × 0.25 × $0.0200/h m5.large (model price)", "$0.0150/h", "neutral"],
      saving: ["$0.0600/h × 24 h", "$1.44", "good"],
      egress: ["10 GB × $0.0100/GB (default state size)", "−$0.100", "bad"],
      overlap: ["($0.0750 + $0.0150)/h × 5 min", "−$0.00750", "bad"],
      margin: ["over 24 h, needs > $0", "$1.33", "good"],
      breakEven: ["egress + overlap paid back after", "1.8 h", "good"],
    });
  });

  it("shows a refused move's negative margin, and no break-even when it saves nothing", () => {
    const refused: MigrationPlanView = {
      ...plan,
      source: { ...plan.target, regionKey: "aws:us-east-2" },
      target: { ...plan.source, regionKey: "aws:us-east-1" },
      savingUsdPerHour: -0.06,
      savingsUsd: -1.44,
      marginUsd: -1.5475,
      minMarginUsd: 0.5,
      breakEvenHours: null,
      accepted: false,
    };
    const lines = Object.fromEntries(planArithmetic(refused).map((line) => [line.id, line]));
    expect(lines.saving).toMatchObject({ formula: "−$0.0600/h × 24 h", value: "−$1.44", tone: "bad" });
    expect(lines.margin).toMatchObject({ formula: "needs > $0 and ≥ $0.500", value: "−$1.55", tone: "bad" });
    expect(lines.breakEven).toMatchObject({ value: "never", tone: "bad" });
  });

  it("has no arithmetic for an unpriced plan", () => {
    expect(planArithmetic({ ...plan, priced: false })).toEqual([]);
  });
});

describe("formatting", () => {
  it("formats money, durations and gate values with their units", () => {
    expect(formatUsdSigned(-2.0908)).toBe("−$2.09");
    expect(formatUsdSigned(0.0075)).toBe("$0.00750");
    expect(formatHours(0.5)).toBe("30 min");
    expect(formatHours(1.79)).toBe("1.8 h");
    expect(formatHours(30)).toBe("30 h");
    expect(formatHours(100)).toBe("4.2 d");
    expect(formatSeconds(300)).toBe("5 min");
    expect(formatSeconds(45)).toBe("45 s");
    expect(formatGateValue("error_rate", 0.0123)).toBe("1.2 %");
    expect(formatGateValue("error_rate", 0.00042)).toBe("0.042 %");
    expect(formatGateValue("error_rate", 0)).toBe("0 %");
    expect(formatGateValue("log_error_ratio", 0.25)).toBe("25 %");
    expect(formatGateValue("p95_latency_ms", 182.4)).toBe("182 ms");
    expect(formatGateValue("p95_latency_ms", 42.25)).toBe("42.3 ms");
    expect(formatGateValue("p95_latency_ms", 0)).toBe("0 ms");
    expect(formatGateValue("queue_depth", 7)).toBe("7.00");
    expect(formatGateValue("error_rate", null)).toBe("—");
  });
});

function decision(atMs: number, canaryWeight: number, values: Record<string, number | null>, waveIndex = 0) {
  return {
    key: `w#${atMs}`,
    waveIndex,
    revert: false,
    atMs,
    canaryWeight,
    gates: Object.entries(values).map(([gate, value]) => ({
      gate,
      value,
      outcome: value === null ? "unknown" : value > 0.01 ? "breach" : "pass",
      threshold: gate === "p95_latency_ms" ? 400 : 0.01,
      severeThreshold: gate === "p95_latency_ms" ? 1000 : 0.05,
      sampleSize: 100,
      reason: "",
      judge: "threshold",
      evidence: null,
    })),
  } as unknown as RolloutDecisionView;
}

describe("gate charts", () => {
  const decisions = [
    decision(1_000, 10, { error_rate: 0.002, p95_latency_ms: 120 }),
    decision(3_000, 10, { error_rate: null, p95_latency_ms: 150 }),
    decision(5_000, 25, { error_rate: 0.004, p95_latency_ms: 140 }),
    decision(6_000, 50, { error_rate: 0.9 }, 1),
  ];

  it("collects each gate's values of one wave, unknowns included", () => {
    const series = gateSeries(decisions, 0);
    expect(series.map((s) => s.gate)).toEqual(["error_rate", "p95_latency_ms"]);
    expect(series[0]?.points.map((p) => [p.value, p.outcome])).toEqual([
      [0.002, "pass"],
      [null, "unknown"],
      [0.004, "pass"],
    ]);
    expect(weightChanges(series[0]?.points ?? []).map((p) => p.canaryWeight)).toEqual([10, 25]);
  });

  it("rounds the axis up above the values and the threshold, so the threshold is always drawn", () => {
    expect([0.0011, 0.009, 1, 2.1, 3, 440, 0].map(niceCeil)).toEqual([0.002, 0.01, 1, 2.5, 5, 500, 1]);
    const box = { width: 200, height: 100, top: 0, right: 0, bottom: 0, left: 0 };
    const [errors, latency] = gateSeries(decisions, 0);
    const errorScale = chartScale(errors as NonNullable<typeof errors>, box);
    // Values ≤ 0.004, threshold 0.01 → 0.011 → 0.02; severe 0.05 is more than twice that: labelled only.
    expect(errorScale.yMax).toBe(0.02);
    expect(errorScale.severeShown).toBe(false);
    expect(errorScale.y(0)).toBe(100);
    expect(errorScale.y(0.01)).toBe(50);
    expect(errorScale.x(1_000)).toBe(0);
    expect(errorScale.x(5_000)).toBe(200);
    // Threshold 400 → 440 → 500; severe 1000 is more than twice 400: labelled only.
    expect(chartScale(latency as NonNullable<typeof latency>, box).yMax).toBe(500);
    const breaching = gateSeries([decision(1, 10, { error_rate: 0.03 })], 0)[0];
    const scale = chartScale(breaching as NonNullable<typeof breaching>, box);
    // 0.03 breaches; severe 0.05 is within twice of it: on the chart.
    expect(scale.severeShown).toBe(true);
    expect(scale.yMax).toBe(0.1);
  });

  it("reads which side of the threshold passes from the outcomes", () => {
    const [errors] = gateSeries(decisions, 0);
    expect(passingSide(errors as NonNullable<typeof errors>)).toBe("below");
    const throughput = {
      gate: "success_ratio",
      threshold: 0.99,
      severeThreshold: null,
      judge: "threshold",
      evidence: null,
      points: [{ atMs: 1, value: 0.995, outcome: "pass" as const, canaryWeight: 10, progress: null }],
    };
    expect(passingSide(throughput)).toBe("above");
  });

  it("keeps a sequential gate's latest evidence and says it in one line", () => {
    const evidence = {
      test: "mSPRT",
      statistic: 412.5,
      bound: 200,
      alpha: 0.005,
      canaryTotal: 420,
      baselineTotal: 3780,
      canaryEvents: 13,
      baselineEvents: 19,
      estimate: 6.1,
      rejected: true,
      errorBudgetBurnedPercent: 0.126,
    };
    const first = decision(1_000, 10, { error_rate: 0.03 });
    const second = decision(6_000, 10, { error_rate: 0.031 });
    const sequential = (view: RolloutDecisionView, withEvidence: typeof evidence | null) => ({
      ...view,
      gates: view.gates.map((gate) => ({ ...gate, judge: "sequential", evidence: withEvidence })),
    });
    const [series] = gateSeries([sequential(first, evidence), sequential(second, null)], 0);
    // An evaluation without evidence (unknown) does not blank the last known one.
    expect(series?.judge).toBe("sequential");
    expect(series?.evidence).toEqual(evidence);
    expect(describeEvidence(evidence)).toBe(
      "worse than baseline: e-value 413 of 200 (α 0.005) · canary 13/420 vs baseline 19/3780 · ×6.1 · budget 0.126% of a day",
    );
    expect(
      describeEvidence({
        ...evidence,
        test: "mannWhitney",
        statistic: 1.2,
        bound: 3.1,
        canaryEvents: null,
        baselineEvents: null,
        rejected: false,
        errorBudgetBurnedPercent: null,
        estimate: 1.02,
      }),
    ).toBe("no worse so far: z 1.2 of 3.1 (α 0.005) · 420 vs 3780 samples · ×1.02");
    // Per evaluation, how far the evidence had come: ln 412.5 / ln 200 past the bound, then unknown.
    expect(series?.points.map((point) => point.progress)).toEqual([Math.log(412.5) / Math.log(200), null]);
  });

  it("puts both tests' evidence on one scale where 1 is conclusive", () => {
    const base = {
      alpha: 0.005,
      canaryTotal: 100,
      baselineTotal: 900,
      canaryEvents: 1,
      baselineEvents: 9,
      estimate: 1,
      rejected: false,
      errorBudgetBurnedPercent: null,
    };
    const msprt = (statistic: number | null) => evidenceProgress({ ...base, test: "mSPRT", statistic, bound: 200 });
    expect(msprt(1)).toBe(0);
    expect(msprt(Math.sqrt(200))).toBeCloseTo(0.5, 12);
    expect(msprt(200)).toBeCloseTo(1, 12);
    expect(msprt(0.1)).toBeLessThan(0);
    expect(msprt(0)).toBeNull();
    // An e-value beyond what JSON can carry arrives as null: rejected, it is conclusive.
    expect(msprt(null)).toBeNull();
    expect(evidenceProgress({ ...base, test: "mSPRT", statistic: null, bound: 200, rejected: true })).toBe(1);
    expect(evidenceProgress({ ...base, test: "mannWhitney", statistic: 1.55, bound: 3.1 })).toBeCloseTo(0.5, 12);
    expect(evidenceProgress({ ...base, test: "mannWhitney", statistic: -0.5, bound: 3.1 })).toBeLessThan(0);
    expect(evidenceProgress(null)).toBeNull();
    const point = (progress: number | null) => ({
      atMs: 0,
      value: 0,
      outcome: "pass" as const,
      canaryWeight: 10,
      progress,
    });
    expect(evidenceRange([point(0.2), point(null)])).toEqual({ min: 0, max: 2 });
    expect(evidenceRange([point(-0.3), point(1.5)])).toEqual({ min: -0.5, max: 2 });
    expect(evidenceRange([point(0.5)]).max).toBeGreaterThan(1);
  });
});

describe("saga progress", () => {
  const migration = (states: MigrationView["state"][]) =>
    ({
      state: states.at(-1),
      steps: states.map((state, index) => ({ sequence: index + 1, state, atMs: index * 1000, detail: "" })),
    }) as MigrationView;

  it("shows the steps taken and the ones still to come while on the happy path", () => {
    const stages = sagaStages(migration(["PLANNED", "LOCKED", "SCALING_UP_TARGET"]));
    expect(stages.map((s) => [s.state, s.status])).toEqual([
      ["PLANNED", "done"],
      ["LOCKED", "done"],
      ["SCALING_UP_TARGET", "current"],
      ["TARGET_READY", "pending"],
      ["SCALING_DOWN_SOURCE", "pending"],
      ["DONE", "pending"],
    ]);
    expect(sagaOutcome(migration(["PLANNED", "LOCKED"]))).toBe("running");
  });

  it("shows a compensated saga as it went, without the path it did not take", () => {
    const stages = sagaStages(migration(["PLANNED", "LOCKED", "SCALING_UP_TARGET", "COMPENSATING", "COMPENSATED"]));
    expect(stages.map((s) => [s.state, s.status])).toEqual([
      ["PLANNED", "done"],
      ["LOCKED", "done"],
      ["SCALING_UP_TARGET", "done"],
      ["COMPENSATING", "done"],
      ["COMPENSATED", "ended"],
    ]);
    expect(sagaOutcome(migration(["PLANNED", "FAILED"]))).toBe("failed");
    expect(
      sagaStages(
        migration([
          ...["PLANNED", "LOCKED", "SCALING_UP_TARGET", "TARGET_READY", "SCALING_DOWN_SOURCE"],
          "DONE",
        ] as MigrationView["state"][]),
      ).at(-1),
    ).toMatchObject({ state: "DONE", status: "ended" });
  });
});
