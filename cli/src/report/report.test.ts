import { create } from "@bufbuild/protobuf";
import {
  GateOutcome,
  Liveness,
  MigrationState,
  MultiClusterRolloutSchema,
  RolloutDecisionSchema,
  RolloutPhase,
  timestampFromMs,
} from "@sentra/proto";
import { describe, expect, it } from "vitest";
import { estateKpis } from "./estate-kpis.js";
import { allPass, percentile } from "./kpi.js";
import { renderReportHtml } from "./report-html.js";
import { rolloutKpis } from "./rollout-kpis.js";

const T0 = Date.parse("2026-12-07T12:00:00Z");

function decision(sequence: number, atS: number, kind: string, gates: { value: number; outcome: GateOutcome }[] = []) {
  return create(RolloutDecisionSchema, {
    rolloutId: "r-w1",
    sequence,
    decision: kind,
    at: timestampFromMs(T0 + atS * 1000),
    reason: `${kind} reason`,
    gates: gates.map((gate) => ({ gate: "error_rate", threshold: 0.01, judge: "sequential", ...gate })),
  });
}

const rolledBack = create(MultiClusterRolloutSchema, {
  id: "r",
  phase: RolloutPhase.ROLLED_BACK,
  waves: [{ index: 0, region: "us-east-1", rollout: { id: "r-w1" } }],
});

describe("rollout KPIs", () => {
  const decisions = [
    decision(1, 0, "start"),
    decision(2, 5, "pass", [{ value: 0.002, outcome: GateOutcome.PASS }]),
    decision(3, 10, "rollback", [{ value: 0.2, outcome: GateOutcome.BREACH }]),
    decision(4, 12.5, "rollbackComplete"),
  ];

  it("measures detection and rollback time from the decisions, and judges them and each gate by their thresholds", () => {
    const kpis = rolloutKpis(rolledBack, decisions, { maxRollbackSeconds: 10 });
    expect(kpis.map((kpi) => [kpi.name, kpi.value, kpi.pass])).toEqual([
      ["Outcome", "ROLLED_BACK", false],
      ["Time to detect, wave 1 (us-east-1)", 10, null],
      ["Time to roll back, wave 1 (us-east-1)", 2.5, true],
      ["Gate error_rate, wave 1 (us-east-1)", 0.2, false],
    ]);
    expect(rolloutKpis(rolledBack, decisions, { maxRollbackSeconds: 2 })[2]?.pass).toBe(false);
    // A rollback that never completed is a failure with no value, not a zero.
    const stuck = rolloutKpis(rolledBack, decisions.slice(0, 3), { maxRollbackSeconds: 10 })[2];
    expect(stuck).toMatchObject({ value: null, pass: false, detail: "the rollback never completed" });
  });

  it("calls a gate that never had data neither pass nor fail", () => {
    const kpis = rolloutKpis(
      { ...rolledBack, phase: RolloutPhase.PROMOTED },
      [decision(1, 0, "start"), decision(2, 5, "hold", [{ value: 0, outcome: GateOutcome.UNKNOWN }])],
      { maxRollbackSeconds: 10 },
    );
    expect(kpis.find((kpi) => kpi.name.startsWith("Gate"))).toMatchObject({ value: null, pass: null });
    expect(allPass(kpis)).toBe(true);
  });
});

describe("estate KPIs", () => {
  it("flags stale satellites and failed migrations, sums the margins of done ones, and takes the rollback p95", () => {
    const kpis = estateKpis(
      {
        satellites: [
          { id: "a", liveness: Liveness.LIVE },
          { id: "b", liveness: Liveness.STALE },
        ] as never,
        migrations: [
          { state: MigrationState.DONE, plan: { marginUsd: 1.25 } },
          { state: MigrationState.DONE, plan: { marginUsd: 0.5 } },
          { state: MigrationState.COMPENSATED, plan: { marginUsd: 9 } },
        ] as never,
        opportunities: [{ marginUsd: 2 }] as never,
        rollouts: [{ phase: RolloutPhase.PROMOTED }, { phase: RolloutPhase.ROLLED_BACK }] as never,
        rollbackSeconds: [1, 2, 3, 30],
      },
      { maxRollbackSeconds: 10 },
    );
    const byName = Object.fromEntries(kpis.map((kpi) => [kpi.name, kpi]));
    expect(byName["Satellites live"]).toMatchObject({ value: "1/2", pass: false, detail: "stale: b" });
    expect(byName["Migrations failed"]).toMatchObject({ value: 0, pass: true });
    expect(byName["Net saving of completed migrations"]).toMatchObject({ value: 1.75, pass: true });
    expect(byName["Rollback time p95"]).toMatchObject({ value: 30, pass: false });
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50)).toBe(5);
  });
});

describe("the HTML report", () => {
  it("stamps each KPI with its threshold and verdict, and escapes what it shows", () => {
    const html = renderReportHtml({
      title: "Release <b>report</b>",
      subject: "rollout r",
      generatedAt: new Date(T0),
      source: "coordinator x",
      kpis: [
        {
          name: "Outcome",
          value: "ROLLED_BACK",
          unit: "",
          threshold: "= PROMOTED",
          pass: false,
          detail: "<script>alert(1)</script>",
        },
        { name: "Time to detect", value: 10, unit: "s", threshold: "", pass: null, detail: "" },
      ],
      sections: [{ title: "Waves", table: { headers: ["A"], rows: [["x & y"]] } }],
    });
    expect(html).toContain('<tr data-kpi="Outcome" data-verdict="FAIL">');
    expect(html).toContain('data-verdict="INFO"');
    expect(html).toContain("FAIL: 0 of 1 KPIs met their threshold");
    expect(html).toContain("= PROMOTED");
    expect(html).not.toContain("<script>");
    expect(html).not.toContain("<b>report</b>");
    expect(html).toContain("x &#38; y");
  });
});
