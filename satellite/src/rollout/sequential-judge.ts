import type { GateResult } from "./gate-evaluator.js";
import type { GateSpec, SequentialGateSpec } from "./gate-spec.js";
import type { VectorSample } from "./metric-provider.js";
import type { ErrorBudgetPolicy } from "./rollout-policy.js";
import {
  bucketQuantile,
  estimatedRateRatio,
  initialRateRatioTest,
  mannWhitneyGreater,
  type RateRatioTestState,
  spentAlpha,
  standardNormalCdf,
  updateRateRatioTest,
} from "./sequential-tests.js";

/** Samples the sequential judge needs on the canary before a gate can pass, unless the gate says. */
export const DEFAULT_SEQUENTIAL_MIN_SAMPLE = 50;

/** Raw cumulative counters of a rate gate at one evaluation (requests and errors per version). */
export interface RateCounters {
  readonly canaryTotal: number;
  readonly canaryEvents: number;
  readonly baselineTotal: number;
  readonly baselineEvents: number;
}

/** What a rate gate's judge remembers between evaluations; plain JSON (it travels in snapshots). */
export interface RateRatioMemory {
  readonly kind: "rateRatio";
  /** Counters at the previous evaluation; null before the first. */
  readonly last: RateCounters | null;
  readonly test: RateRatioTestState;
  /** Start of the first interval counted; null before it. */
  readonly since: string | null;
  /** Intervals left out because a counter went backwards (a restarted pod). */
  readonly skippedIntervals: number;
}

/** What a histogram gate's judge remembers; plain JSON. */
export interface DistributionMemory {
  readonly kind: "distribution";
  /** Upper bounds of the buckets (`le`), increasing; +Inf is kept as Infinity → null in JSON, so as 1e308. */
  readonly bounds: readonly number[];
  /** Cumulative bucket counters at the previous evaluation, per bound; null before the first. */
  readonly last: { readonly canary: readonly number[]; readonly baseline: readonly number[] } | null;
  /** Increases counted since `since`, cumulative by bound. */
  readonly canary: readonly number[];
  readonly baseline: readonly number[];
  /** Tests made so far; the k-th spends α·6/(π²k²). */
  readonly looks: number;
  readonly rejected: boolean;
  readonly since: string | null;
  readonly skippedIntervals: number;
}

/** Memory of one sequential gate. */
export type SequentialMemory = RateRatioMemory | DistributionMemory;

/** Per-gate memory of a rollout's sequential gates, by gate name. */
export type JudgeMemory = Readonly<Record<string, SequentialMemory>>;

/** The error budget the canary burned, reported with the evidence of the budget's gate. */
export interface ErrorBudgetEvidence {
  readonly slo: number;
  /** Canary errors beyond what the baseline's error rate predicts for its requests. */
  readonly excessErrors: number;
  /** (1 − slo) × the service's requests in a day at the traffic seen during the rollout. */
  readonly dailyBudgetErrors: number;
  /** excessErrors as a percentage of dailyBudgetErrors. */
  readonly burnedPercent: number;
  readonly maxBurnPercent?: number;
}

/** Why a sequential gate decided as it did: recorded with every decision. */
export interface GateEvidence {
  readonly judge: "sequential";
  /** `mSPRT` (rate ratio, statistic an e-value) or `mannWhitney` (statistic a z-score). */
  readonly test: "mSPRT" | "mannWhitney";
  readonly statistic: number;
  /** The statistic rejects at or beyond this (1/α for mSPRT; the z of this look's spent α). */
  readonly bound: number;
  readonly alpha: number;
  readonly tolerance: number;
  /** Counted since `since`: requests (histogram observations) and, for rates, events. */
  readonly canaryTotal: number;
  readonly baselineTotal: number;
  readonly canaryEvents?: number;
  readonly baselineEvents?: number;
  /** Rate ratio canary/baseline, or the canary's quantile over the baseline's; null when undefined. */
  readonly estimate: number | null;
  readonly canaryQuantile?: number | null;
  readonly baselineQuantile?: number | null;
  readonly looks: number;
  readonly since: string | null;
  readonly rejected: boolean;
  readonly errorBudget?: ErrorBudgetEvidence;
}

/** The context of one evaluation. */
export interface JudgeContext {
  readonly at: Date;
  /** False during warm-up: counters are read (to take increases from) but the test is not fed. */
  readonly countEvidence: boolean;
  /** Present when this gate's counts are the error budget's. */
  readonly errorBudget?: ErrorBudgetPolicy;
}

/** A judged gate and the memory for the next evaluation. */
export interface SequentialJudgement {
  readonly result: GateResult;
  readonly memory: SequentialMemory | undefined;
}

/** What one evaluation read for a sequential gate: counters for a rate gate, buckets for a histogram. */
export interface SequentialReading {
  readonly counters?: RateCounters | { readonly error: string };
  readonly histograms?:
    | { readonly canary: readonly VectorSample[]; readonly baseline: readonly VectorSample[] }
    | { readonly error: string };
}

/** The context of a gate's judgement this evaluation (the error budget only on the gate it is counted from). */
export function judgeContext(
  gate: GateSpec,
  at: Date,
  countEvidence: boolean,
  errorBudget: ErrorBudgetPolicy | undefined,
): JudgeContext {
  return { at, countEvidence, ...(errorBudget?.gate === gate.name ? { errorBudget } : {}) };
}

/**
 * Judges a sequential gate by its kind from what was read, with the memory of that kind (memory
 * of another kind, from an older policy, is ignored). The engine and the evaluation harness both
 * judge through here.
 */
export function judgeSequentialGate(
  gate: GateSpec,
  spec: SequentialGateSpec,
  windowed: GateResult,
  reading: SequentialReading,
  previous: SequentialMemory | undefined,
  context: JudgeContext,
): SequentialJudgement {
  if (spec.kind === "rateRatio") {
    const counters = reading.counters ?? { error: "counters were not read" };
    return judgeRateRatio(
      gate,
      spec,
      windowed,
      counters,
      previous?.kind === "rateRatio" ? previous : undefined,
      context,
    );
  }
  const histograms = reading.histograms ?? { error: "buckets were not read" };
  const prior = previous?.kind === "distribution" ? previous : undefined;
  return judgeDistribution(gate, spec, windowed, histograms, prior, context);
}

type RateSpec = Extract<SequentialGateSpec, { kind: "rateRatio" }>;
type DistributionSpec = Extract<SequentialGateSpec, { kind: "distribution" }>;

/**
 * Judges a sequential rate gate from this evaluation's counters. `windowed` is the threshold
 * judgement of the gate's own query: its value is shown, its severe threshold still rolls back at
 * once, and a value beyond its threshold holds the rollout (unknown, `notConclusive`) — a canary
 * above the threshold is never promoted, but only conclusive evidence rolls it back.
 */
export function judgeRateRatio(
  gate: GateSpec,
  spec: RateSpec,
  windowed: GateResult,
  counters: RateCounters | { readonly error: string },
  previous: RateRatioMemory | undefined,
  context: JudgeContext,
): SequentialJudgement {
  const memory = previous ?? {
    kind: "rateRatio",
    last: null,
    test: initialRateRatioTest(),
    since: null,
    skippedIntervals: 0,
  };
  if ("error" in counters) {
    return {
      result: unknownResult(gate, windowed, "providerError", counters.error, rateEvidence(spec, memory)),
      memory,
    };
  }
  const next = advanceRate(memory, counters, spec, context);
  const evidence = rateEvidence(spec, next, context);
  if (windowed.severe) return { result: withEvidence(windowed, evidence), memory: next };
  const ratio = evidence.estimate === null ? "n/a" : format(evidence.estimate);
  const counts = `canary ${next.test.canaryEvents}/${next.test.canaryTotal} vs baseline ${next.test.baselineEvents}/${next.test.baselineTotal}, ratio ${ratio}`;
  const budget = evidence.errorBudget;
  if (budget?.maxBurnPercent !== undefined && budget.burnedPercent > budget.maxBurnPercent) {
    const reason = `${gate.name}: error budget burned ${format(budget.burnedPercent)}% of a day's > ${budget.maxBurnPercent}% (${format(budget.excessErrors)} excess errors; ${counts})`;
    return { result: decided(gate, windowed, "breach", true, reason, evidence), memory: next };
  }
  if (next.test.rejected) {
    const reason = `${gate.name} worse than baseline: e-value ${format(evidence.statistic)} ≥ ${format(evidence.bound)} (α ${format(spec.alpha)}, tolerance ×${format(1 + spec.tolerance)}; ${counts})`;
    return { result: decided(gate, windowed, "breach", true, reason, evidence), memory: next };
  }
  if (windowed.outcome === "breach") {
    const why = `${windowed.reason}, but not conclusively worse than baseline (e-value ${format(evidence.statistic)} < ${format(evidence.bound)}; ${counts}): holding`;
    return { result: unknownResult(gate, windowed, "notConclusive", why, evidence), memory: next };
  }
  const minimum = gate.minSampleSize ?? DEFAULT_SEQUENTIAL_MIN_SAMPLE;
  const newCanary = memory.last === null ? 0 : counters.canaryTotal - memory.last.canaryTotal;
  if (next.test.canaryTotal < minimum || newCanary <= 0) {
    const why =
      newCanary <= 0
        ? "no new canary requests since the last evaluation"
        : `${next.test.canaryTotal} canary samples < minSampleSize ${minimum}`;
    return { result: unknownResult(gate, windowed, "lowSample", why, evidence), memory: next };
  }
  const reason = `${gate.name} no worse than baseline so far: e-value ${format(evidence.statistic)} < ${format(evidence.bound)} (${counts})`;
  return { result: decided(gate, windowed, "pass", false, reason, evidence), memory: next };
}

function advanceRate(
  memory: RateRatioMemory,
  counters: RateCounters,
  spec: RateSpec,
  context: JudgeContext,
): RateRatioMemory {
  const last = memory.last;
  if (last === null) return { ...memory, last: counters };
  const delta = {
    canaryTotal: counters.canaryTotal - last.canaryTotal,
    canaryEvents: counters.canaryEvents - last.canaryEvents,
    baselineTotal: counters.baselineTotal - last.baselineTotal,
    baselineEvents: counters.baselineEvents - last.baselineEvents,
  };
  const backwards =
    Object.values(delta).some((value) => value < 0) ||
    delta.canaryEvents > delta.canaryTotal ||
    delta.baselineEvents > delta.baselineTotal;
  if (backwards) return { ...memory, last: counters, skippedIntervals: memory.skippedIntervals + 1 };
  if (!context.countEvidence) return { ...memory, last: counters };
  return {
    ...memory,
    last: counters,
    since: memory.since ?? context.at.toISOString(),
    test: updateRateRatioTest(memory.test, delta, spec.tolerance, spec.alpha),
  };
}

function rateEvidence(spec: RateSpec, memory: RateRatioMemory, context?: JudgeContext): GateEvidence {
  const { test } = memory;
  const errorBudget =
    context?.errorBudget === undefined ? undefined : budgetOf(memory, context.errorBudget, context.at);
  return {
    judge: "sequential",
    test: "mSPRT",
    statistic: test.eValue,
    bound: 1 / spec.alpha,
    alpha: spec.alpha,
    tolerance: spec.tolerance,
    canaryTotal: test.canaryTotal,
    baselineTotal: test.baselineTotal,
    canaryEvents: test.canaryEvents,
    baselineEvents: test.baselineEvents,
    estimate: estimatedRateRatio(test),
    looks: 0,
    since: memory.since,
    rejected: test.rejected,
    ...(errorBudget === undefined ? {} : { errorBudget }),
  };
}

/**
 * The canary's burn of the error budget: errors beyond the baseline's rate, against a day's budget
 * at the traffic the service had during the rollout. Undefined before any interval was counted.
 */
export function budgetOf(
  memory: Pick<RateRatioMemory, "test" | "since">,
  policy: ErrorBudgetPolicy,
  at: Date,
): ErrorBudgetEvidence | undefined {
  const { test } = memory;
  if (memory.since === null) return undefined;
  const elapsedSeconds = Math.max(1, (at.getTime() - Date.parse(memory.since)) / 1000);
  const baselineRate = test.baselineTotal > 0 ? test.baselineEvents / test.baselineTotal : 0;
  const excessErrors = Math.max(0, test.canaryEvents - test.canaryTotal * baselineRate);
  const requestsPerDay = ((test.canaryTotal + test.baselineTotal) / elapsedSeconds) * 86_400;
  const dailyBudgetErrors = (1 - policy.slo) * requestsPerDay;
  const burnedPercent = dailyBudgetErrors > 0 ? (excessErrors / dailyBudgetErrors) * 100 : 0;
  return {
    slo: policy.slo,
    excessErrors,
    dailyBudgetErrors,
    burnedPercent,
    ...(policy.maxBurnPercent === undefined ? {} : { maxBurnPercent: policy.maxBurnPercent }),
  };
}

/** Cumulative histogram of one version from its `le` series: bound → count. */
function histogramOf(samples: readonly VectorSample[]): Map<number, number> | string {
  const byBound = new Map<number, number>();
  for (const sample of samples) {
    const le = sample.labels.le;
    if (le === undefined) return "a bucket series has no le label; aggregate with sum by (le)";
    const bound = le === "+Inf" || le === "Inf" ? Number.POSITIVE_INFINITY : Number(le);
    if (Number.isNaN(bound)) return `le ${JSON.stringify(le)} is not a number`;
    byBound.set(bound, (byBound.get(bound) ?? 0) + (Number.isFinite(sample.value) ? sample.value : 0));
  }
  return byBound;
}

/** +Inf as a JSON-safe bound. */
const INFINITE_BOUND = 1e308;

/**
 * Judges a sequential histogram gate: a one-sided Mann-Whitney U test of the canary's observations
 * against the baseline's, counted since the first evaluation after warm-up, at α·6/(π²k²) on the
 * k-th look; a rejection also needs the canary's quantile above the baseline's by the tolerance,
 * so a statistically clear but immaterial shift does not roll back.
 */
export function judgeDistribution(
  gate: GateSpec,
  spec: DistributionSpec,
  windowed: GateResult,
  histograms:
    | { readonly canary: readonly VectorSample[]; readonly baseline: readonly VectorSample[] }
    | { readonly error: string },
  previous: DistributionMemory | undefined,
  context: JudgeContext,
): SequentialJudgement {
  const empty: DistributionMemory = {
    kind: "distribution",
    bounds: [],
    last: null,
    canary: [],
    baseline: [],
    looks: 0,
    rejected: false,
    since: null,
    skippedIntervals: 0,
  };
  const memory = previous ?? empty;
  if ("error" in histograms) {
    return {
      result: unknownResult(gate, windowed, "providerError", histograms.error, distributionEvidence(spec, memory, 0)),
      memory,
    };
  }
  const canary = histogramOf(histograms.canary);
  const baseline = histogramOf(histograms.baseline);
  if (typeof canary === "string" || typeof baseline === "string") {
    const error = typeof canary === "string" ? canary : String(baseline);
    return {
      result: unknownResult(gate, windowed, "providerError", error, distributionEvidence(spec, memory, 0)),
      memory,
    };
  }
  const bounds = [...new Set([...canary.keys(), ...baseline.keys()])]
    .sort((a, b) => a - b)
    .map((bound) => (Number.isFinite(bound) ? bound : INFINITE_BOUND));
  const read = (histogram: Map<number, number>): number[] => {
    // Missing bounds take the next lower bound's count (cumulative histograms never decrease in le).
    let carried = 0;
    return bounds.map((bound) => {
      const value = histogram.get(bound === INFINITE_BOUND ? Number.POSITIVE_INFINITY : bound);
      carried = value ?? carried;
      return carried;
    });
  };
  const current = { canary: read(canary), baseline: read(baseline) };
  let next: DistributionMemory = memory;
  // True when this evaluation's increases were added: only then is there something new to test.
  let fed = false;
  const sameBounds = memory.bounds.length === bounds.length && memory.bounds.every((bound, i) => bound === bounds[i]);
  if (memory.last === null || !sameBounds) {
    // First reading, or the histogram's buckets changed: start over from here.
    next = { ...empty, bounds, last: current, looks: memory.looks, skippedIntervals: memory.skippedIntervals };
  } else {
    const last = memory.last;
    const deltaCanary = current.canary.map((value, i) => value - (last.canary[i] ?? 0));
    const deltaBaseline = current.baseline.map((value, i) => value - (last.baseline[i] ?? 0));
    if ([...deltaCanary, ...deltaBaseline].some((value) => value < 0)) {
      next = { ...memory, last: current, skippedIntervals: memory.skippedIntervals + 1 };
    } else if (!context.countEvidence || memory.rejected) {
      next = { ...memory, last: current };
    } else {
      fed = true;
      next = {
        ...memory,
        last: current,
        since: memory.since ?? context.at.toISOString(),
        canary: deltaCanary.map((value, i) => value + (memory.canary[i] ?? 0)),
        baseline: deltaBaseline.map((value, i) => value + (memory.baseline[i] ?? 0)),
      };
    }
  }
  const canaryBuckets = perBucket(next.canary);
  const baselineBuckets = perBucket(next.baseline);
  const canaryTotal = canaryBuckets.reduce((sum, count) => sum + count, 0);
  const baselineTotal = baselineBuckets.reduce((sum, count) => sum + count, 0);
  const minimum = gate.minSampleSize ?? DEFAULT_SEQUENTIAL_MIN_SAMPLE;
  let z = 0;
  if (fed && canaryTotal >= minimum && baselineTotal >= minimum) {
    const looks = next.looks + 1;
    const test = mannWhitneyGreater(canaryBuckets, baselineBuckets);
    z = test.z;
    const canaryQ = bucketQuantile(spec.quantile, next.bounds, canaryBuckets);
    const baselineQ = bucketQuantile(spec.quantile, next.bounds, baselineBuckets);
    const material = canaryQ !== null && baselineQ !== null && canaryQ > baselineQ * (1 + spec.tolerance);
    next = { ...next, looks, rejected: test.pValue < spentAlpha(spec.alpha, looks) && material };
  }
  const evidence = distributionEvidence(spec, next, z, canaryBuckets, baselineBuckets);
  if (windowed.severe) return { result: withEvidence(windowed, evidence), memory: next };
  const quantiles = `p${format(spec.quantile * 100)} canary ${formatQuantile(evidence.canaryQuantile)} vs baseline ${formatQuantile(evidence.baselineQuantile)} over ${canaryTotal}/${baselineTotal} samples`;
  if (next.rejected) {
    const reason = `${gate.name} slower than baseline: Mann-Whitney z ${format(evidence.statistic)} ≥ ${format(evidence.bound)} at look ${next.looks} (α ${format(spec.alpha)}; ${quantiles})`;
    return { result: decided(gate, windowed, "breach", true, reason, evidence), memory: next };
  }
  if (windowed.outcome === "breach") {
    const why = `${windowed.reason}, but not conclusively slower than baseline (z ${format(evidence.statistic)} < ${format(evidence.bound)}; ${quantiles}): holding`;
    return { result: unknownResult(gate, windowed, "notConclusive", why, evidence), memory: next };
  }
  if (canaryTotal < minimum || baselineTotal < minimum) {
    const why = `${canaryTotal} canary / ${baselineTotal} baseline samples < minSampleSize ${minimum}`;
    return { result: unknownResult(gate, windowed, "lowSample", why, evidence), memory: next };
  }
  const reason = `${gate.name} no slower than baseline so far: z ${format(evidence.statistic)} < ${format(evidence.bound)} (${quantiles})`;
  return { result: decided(gate, windowed, "pass", false, reason, evidence), memory: next };
}

function perBucket(cumulative: readonly number[]): number[] {
  return cumulative.map((value, i) => Math.max(0, value - (i === 0 ? 0 : (cumulative[i - 1] ?? 0))));
}

function distributionEvidence(
  spec: DistributionSpec,
  memory: DistributionMemory,
  z: number,
  canaryBuckets: readonly number[] = perBucket(memory.canary),
  baselineBuckets: readonly number[] = perBucket(memory.baseline),
): GateEvidence {
  const canaryQuantile = bucketQuantile(spec.quantile, memory.bounds, canaryBuckets);
  const baselineQuantile = bucketQuantile(spec.quantile, memory.bounds, baselineBuckets);
  return {
    judge: "sequential",
    test: "mannWhitney",
    statistic: z,
    bound: criticalZ(spentAlpha(spec.alpha, Math.max(1, memory.looks))),
    alpha: spec.alpha,
    tolerance: spec.tolerance,
    canaryTotal: canaryBuckets.reduce((sum, count) => sum + count, 0),
    baselineTotal: baselineBuckets.reduce((sum, count) => sum + count, 0),
    estimate:
      canaryQuantile !== null && baselineQuantile !== null && baselineQuantile > 0
        ? canaryQuantile / baselineQuantile
        : null,
    canaryQuantile,
    baselineQuantile,
    looks: memory.looks,
    since: memory.since,
    rejected: memory.rejected,
  };
}

/** The z beyond which a one-sided p-value is below `alpha` (bisection on Φ; reported, not decided on). */
function criticalZ(alpha: number): number {
  let low = 0;
  let high = 40;
  for (let i = 0; i < 60; i++) {
    const mid = (low + high) / 2;
    if (1 - standardNormalCdf(mid) > alpha) low = mid;
    else high = mid;
  }
  return high;
}

function withEvidence(result: GateResult, evidence: GateEvidence): GateResult {
  return { ...result, judge: "sequential", evidence };
}

function decided(
  gate: GateSpec,
  windowed: GateResult,
  outcome: "pass" | "breach",
  conclusive: boolean,
  reason: string,
  evidence: GateEvidence,
): GateResult {
  const { unknownCause: _unknownCause, ...rest } = windowed;
  return {
    ...rest,
    gate: gate.name,
    outcome,
    severe: false,
    judge: "sequential",
    ...(conclusive ? { conclusive: true } : {}),
    reason,
    evidence,
  };
}

function unknownResult(
  gate: GateSpec,
  windowed: GateResult,
  cause: "providerError" | "lowSample" | "notConclusive",
  why: string,
  evidence: GateEvidence,
): GateResult {
  return {
    ...windowed,
    outcome: "unknown",
    severe: false,
    judge: "sequential",
    unknownCause: cause,
    reason: `${gate.name} unknown: ${why}`,
    evidence,
  };
}

function format(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return String(value);
  return String(Number(value.toPrecision(3)));
}

function formatQuantile(value: number | null | undefined): string {
  return value === null || value === undefined ? "n/a" : format(value);
}
