import type { GateEvidenceView, GateOutcomeView, RolloutDecisionView } from "@sentra/common/dashboard-protocol";

/** One evaluation of one gate. */
export interface GatePoint {
  atMs: number;
  /** null: unknown (no data, too few samples). */
  value: number | null;
  outcome: GateOutcomeView;
  canaryWeight: number;
  /** Sequential gates: how far the evidence is towards conclusive (see evidenceProgress); else null. */
  progress: number | null;
}

/** One gate's values over time against its threshold. */
export interface GateSeries {
  gate: string;
  threshold: number;
  severeThreshold: number | null;
  /** "threshold" or "sequential" (the latest decision's). */
  judge: string;
  /** The sequential judge's latest evidence; null for threshold gates. */
  evidence: GateEvidenceView | null;
  /** Oldest first. */
  points: GatePoint[];
}

/** One line on a sequential gate's evidence: statistic against its bound, counts, ratio and budget. */
export function describeEvidence(evidence: GateEvidenceView): string {
  const number = (value: number | null) =>
    value === null ? "n/a" : Math.abs(value) >= 1000 ? value.toExponential(2) : String(Number(value.toPrecision(3)));
  const statistic = evidence.test === "mSPRT" ? "e-value" : "z";
  const counts =
    evidence.canaryEvents === null || evidence.baselineEvents === null
      ? `${evidence.canaryTotal} vs ${evidence.baselineTotal} samples`
      : `canary ${evidence.canaryEvents}/${evidence.canaryTotal} vs baseline ${evidence.baselineEvents}/${evidence.baselineTotal}`;
  const budget =
    evidence.errorBudgetBurnedPercent === null
      ? ""
      : ` · budget ${number(evidence.errorBudgetBurnedPercent)}% of a day`;
  const verdict = evidence.rejected ? "worse than baseline" : "no worse so far";
  const ratio = evidence.estimate === null ? "" : ` · ×${number(evidence.estimate)}`;
  return `${verdict}: ${statistic} ${number(evidence.statistic)} of ${number(evidence.bound)} (α ${evidence.alpha}) · ${counts}${ratio}${budget}`;
}

/**
 * How far a sequential gate's evidence has come towards conclusive, on one scale for both tests:
 * 1 is the bound (the canary is rolled back), 0 no evidence either way. mSPRT: ln(e-value) over
 * ln(1/α), so each step up is the same factor of evidence; Mann-Whitney: z over the look's
 * critical z. Negative when the data lean towards the canary being better; null when undefined.
 */
export function evidenceProgress(evidence: GateEvidenceView | null): number | null {
  if (evidence === null) return null;
  const { statistic, bound } = evidence;
  if (evidence.rejected && (statistic === null || bound === null)) return 1;
  if (statistic === null || bound === null) return null;
  if (evidence.test === "mSPRT") {
    if (!(bound > 1) || !(statistic > 0)) return null;
    return Math.log(statistic) / Math.log(bound);
  }
  if (!(bound > 0)) return null;
  return statistic / bound;
}

/**
 * Each gate's series over a wave's decisions (oldest first), gates in the order they first
 * appear. Thresholds are the latest decision's (a policy does not change mid-rollout).
 */
export function gateSeries(decisions: readonly RolloutDecisionView[], waveIndex: number): GateSeries[] {
  const byGate = new Map<string, GateSeries>();
  for (const decision of decisions) {
    if (decision.waveIndex !== waveIndex || decision.revert) continue;
    for (const gate of decision.gates) {
      let series = byGate.get(gate.gate);
      if (!series) {
        series = {
          gate: gate.gate,
          threshold: gate.threshold,
          severeThreshold: gate.severeThreshold,
          judge: gate.judge,
          evidence: gate.evidence,
          points: [],
        };
        byGate.set(gate.gate, series);
      }
      series.threshold = gate.threshold;
      series.severeThreshold = gate.severeThreshold;
      series.judge = gate.judge;
      series.evidence = gate.evidence ?? series.evidence;
      series.points.push({
        atMs: decision.atMs,
        value: gate.value,
        outcome: gate.outcome,
        canaryWeight: decision.canaryWeight,
        progress: evidenceProgress(gate.evidence),
      });
    }
  }
  return [...byGate.values()];
}

/** Where a chart may draw: its size and the margins kept for labels. */
export interface ChartBox {
  width: number;
  height: number;
  top: number;
  right: number;
  bottom: number;
  left: number;
}

/** A chart's mapping from (time, value) to pixels. */
export interface ChartScale {
  x(atMs: number): number;
  y(value: number): number;
  yMin: number;
  yMax: number;
  t0: number;
  t1: number;
  /** Whether the severe threshold is inside the value range (else it is only labelled). */
  severeShown: boolean;
}

/** The smallest of 1, 2, 2.5, 5 × 10ⁿ at or above `value` (a round top for an axis). */
export function niceCeil(value: number): number {
  if (!(value > 0) || !Number.isFinite(value)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) {
    const candidate = step * power;
    if (candidate >= value * (1 - 1e-12)) return candidate;
  }
  return 10 * power;
}

/**
 * Scales a series into a box. The value axis starts at 0 (gate values are rates and latencies)
 * and reaches a round number above both the values and the threshold, so the threshold line is
 * always on the chart. The severe threshold joins the range only when that costs at most half of
 * the height (otherwise the chart would be squashed to a line: it is then only labelled).
 */
export function chartScale(series: GateSeries, box: ChartBox): ChartScale {
  const values = series.points.flatMap((point) => (point.value === null ? [] : [point.value]));
  const high = Math.max(series.threshold, ...values);
  const low = Math.min(0, ...values);
  const severe = series.severeThreshold;
  const severeShown = severe !== null && severe > high && severe <= high * 2;
  const yMax = niceCeil((severeShown && severe !== null ? severe : high) * 1.1);
  const yMin = low < 0 ? -niceCeil(-low * 1.1) : 0;
  const times = series.points.map((point) => point.atMs);
  const t0 = times.length > 0 ? Math.min(...times) : 0;
  const t1 = times.length > 0 ? Math.max(...times) : 1;
  const innerWidth = box.width - box.left - box.right;
  const innerHeight = box.height - box.top - box.bottom;
  return {
    x: (atMs) => (t1 === t0 ? box.left + innerWidth : box.left + ((atMs - t0) / (t1 - t0)) * innerWidth),
    y: (value) => box.top + (1 - (value - yMin) / (yMax - yMin)) * innerHeight,
    yMin,
    yMax,
    t0,
    t1,
    severeShown: severeShown || (severe !== null && severe <= high),
  };
}

/** The points where the canary weight changed (a step), for markers on the time axis. */
export function weightChanges(points: readonly GatePoint[]): GatePoint[] {
  return points.filter((point, index) => index === 0 || point.canaryWeight !== points[index - 1]?.canaryWeight);
}

/**
 * Which side of the threshold passes. The wire contract does not carry the comparator, so it is
 * read from the outcomes: a pass above the threshold, or a breach below it, means "≥ passes";
 * otherwise "≤ passes" (every built-in gate).
 */
export function passingSide(series: GateSeries): "below" | "above" {
  for (const point of series.points) {
    if (point.value === null) continue;
    if (point.outcome === "pass" && point.value > series.threshold) return "above";
    if (point.outcome === "breach" && point.value < series.threshold) return "above";
  }
  return "below";
}

/** The evidence chart's value range: from 0 (or the lowest point) to above the bound at 1. */
export function evidenceRange(points: readonly GatePoint[]): { min: number; max: number } {
  const values = points.flatMap((point) => (point.progress === null ? [] : [point.progress]));
  const high = Math.max(1, ...values);
  const low = Math.min(0, ...values);
  return { min: low < 0 ? Math.max(-1, -niceCeil(-low)) : 0, max: Math.min(2, niceCeil(high * 1.15)) };
}
