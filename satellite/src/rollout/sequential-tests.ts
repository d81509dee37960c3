/**
 * The statistics of the sequential judge, pure and allocation-light (the evaluation harness runs
 * millions of updates):
 * - {@link updateRateRatioTest}: an anytime-valid mixture sequential probability ratio test
 *   (mSPRT) that the canary's event rate (errors, slow requests) is at most `1 + tolerance` times
 *   the baseline's. Events of two Poisson processes, given that one happened, come from the canary
 *   with probability p = πθ / (πθ + 1 − π), π the canary's share of traffic in the interval and θ
 *   the ratio of their rates (as in Lindon, Sanden and Shirikian, "Rapid regression detection in
 *   software deployments through sequential testing", KDD 2022). The statistic is a uniform
 *   mixture, over a grid of θ above the null's θ₀, of likelihood ratios against θ₀; each is a
 *   non-negative supermartingale under every θ ≤ θ₀ (the per-event factor has expectation ≤ 1
 *   there), so by Ville's inequality a healthy canary's statistic ever reaches 1/α with
 *   probability ≤ α — however often it is looked at, and although π changes from step to step.
 * - {@link mannWhitneyGreater}: a one-sided Mann-Whitney U test on grouped (histogram) data, with
 *   the tie correction, for "the canary's latency is stochastically larger"; repeated looks are
 *   made sound by {@link spentAlpha} (α·6/(π²k²) at the k-th look sums to α).
 */

/** θ/θ₀ values the alternative mixes over: from a 25 % worse rate to 50× worse. */
export const RATE_RATIO_GRID: readonly number[] = [1.25, 1.5, 2, 3, 5, 10, 20, 50];

/** Running state of one rate-ratio test; plain JSON. */
export interface RateRatioTestState {
  /** Log-likelihood ratio per {@link RATE_RATIO_GRID} entry. */
  readonly logLikelihoodRatios: readonly number[];
  readonly canaryTotal: number;
  readonly canaryEvents: number;
  readonly baselineTotal: number;
  readonly baselineEvents: number;
  /** The mixture statistic (an e-value): the evidence against "no worse than tolerated". */
  readonly eValue: number;
  /** True once eValue reached 1/α; it stays rejected (the test is over). */
  readonly rejected: boolean;
}

/** One evaluation interval's new counts for canary and baseline. */
export interface IntervalCounts {
  readonly canaryTotal: number;
  readonly canaryEvents: number;
  readonly baselineTotal: number;
  readonly baselineEvents: number;
}

/** A test before any data: e-value 1. */
export function initialRateRatioTest(): RateRatioTestState {
  return {
    logLikelihoodRatios: RATE_RATIO_GRID.map(() => 0),
    canaryTotal: 0,
    canaryEvents: 0,
    baselineTotal: 0,
    baselineEvents: 0,
    eValue: 1,
    rejected: false,
  };
}

/**
 * Adds one interval's counts. An interval without traffic on either side carries no evidence
 * about the ratio (π is 0 or 1) and only adds to the totals.
 * @param tolerance rates up to (1 + tolerance) × the baseline's are the null (healthy); ≥ 0
 * @param alpha the bound on a healthy canary's probability of ever being rejected, in (0, 1)
 */
export function updateRateRatioTest(
  state: RateRatioTestState,
  counts: IntervalCounts,
  tolerance: number,
  alpha: number,
): RateRatioTestState {
  const { canaryTotal, canaryEvents, baselineTotal, baselineEvents } = counts;
  const totals = {
    canaryTotal: state.canaryTotal + canaryTotal,
    canaryEvents: state.canaryEvents + canaryEvents,
    baselineTotal: state.baselineTotal + baselineTotal,
    baselineEvents: state.baselineEvents + baselineEvents,
  };
  if (state.rejected || canaryTotal <= 0 || baselineTotal <= 0 || canaryEvents + baselineEvents <= 0) {
    return { ...state, ...totals };
  }
  const share = canaryTotal / (canaryTotal + baselineTotal);
  const nullRatio = 1 + tolerance;
  const nullP = eventShare(share, nullRatio);
  const logLikelihoodRatios = state.logLikelihoodRatios.map((previous, index) => {
    const p = eventShare(share, nullRatio * (RATE_RATIO_GRID[index] ?? 1));
    return previous + canaryEvents * Math.log(p / nullP) + baselineEvents * Math.log((1 - p) / (1 - nullP));
  });
  const eValue = mixture(logLikelihoodRatios);
  return { ...totals, logLikelihoodRatios, eValue, rejected: eValue >= 1 / alpha };
}

/** The canary's share of events when it has `share` of the traffic and `ratio` × the baseline's rate. */
function eventShare(share: number, ratio: number): number {
  return (share * ratio) / (share * ratio + 1 - share);
}

/** Uniform mixture of exp(log-likelihood ratios), computed without overflow. */
function mixture(logs: readonly number[]): number {
  const max = Math.max(...logs);
  if (!Number.isFinite(max)) return max > 0 ? Number.POSITIVE_INFINITY : 0;
  let sum = 0;
  for (const value of logs) sum += Math.exp(value - max);
  return Math.exp(max) * (sum / logs.length);
}

/** The canary's rate over the baseline's, from the totals; null without events or traffic on a side. */
export function estimatedRateRatio(state: Pick<RateRatioTestState, keyof IntervalCounts>): number | null {
  if (state.canaryTotal <= 0 || state.baselineTotal <= 0 || state.baselineEvents <= 0) return null;
  return state.canaryEvents / state.canaryTotal / (state.baselineEvents / state.baselineTotal);
}

/** α spent at the k-th look (k ≥ 1) of a repeated test: α·6/(π²k²), whose sum over all k is α. */
export function spentAlpha(alpha: number, look: number): number {
  return (alpha * 6) / (Math.PI * Math.PI * Math.max(1, look) ** 2);
}

/** A one-sided Mann-Whitney result. */
export interface MannWhitneyResult {
  /** U of the canary: pairs (canary, baseline) where the canary is slower, ties counting ½. */
  readonly u: number;
  /** Standardised U (normal approximation with tie correction); 0 when undefined. */
  readonly z: number;
  /** P(U ≥ u) under "same distribution", normal approximation; 1 when undefined. */
  readonly pValue: number;
}

/**
 * One-sided Mann-Whitney U test that the canary's values are stochastically larger than the
 * baseline's, from per-bucket (not cumulative) counts in increasing bucket order; values in one
 * bucket are ties.
 */
export function mannWhitneyGreater(canary: readonly number[], baseline: readonly number[]): MannWhitneyResult {
  let nCanary = 0;
  let nBaseline = 0;
  for (const count of canary) nCanary += count;
  for (const count of baseline) nBaseline += count;
  const total = nCanary + nBaseline;
  if (nCanary <= 0 || nBaseline <= 0 || total < 2) return { u: 0, z: 0, pValue: 1 };
  let u = 0;
  let baselineBelow = 0;
  let tieTerm = 0;
  const buckets = Math.max(canary.length, baseline.length);
  for (let index = 0; index < buckets; index++) {
    const a = canary[index] ?? 0;
    const b = baseline[index] ?? 0;
    u += a * (baselineBelow + b / 2);
    baselineBelow += b;
    const tied = a + b;
    tieTerm += tied * tied * tied - tied;
  }
  const mean = (nCanary * nBaseline) / 2;
  const variance = ((nCanary * nBaseline) / 12) * (total + 1 - tieTerm / (total * (total - 1)));
  if (!(variance > 0)) return { u, z: 0, pValue: 1 };
  // Continuity correction: U moves in steps of ½.
  const z = (u - mean - 0.5) / Math.sqrt(variance);
  return { u, z, pValue: 1 - standardNormalCdf(z) };
}

/** Φ(z), by the complementary error function (Numerical Recipes' erfc, |error| < 1.2e-7). */
export function standardNormalCdf(z: number): number {
  return 1 - 0.5 * erfc(z / Math.SQRT2);
}

function erfc(x: number): number {
  const t = 1 / (1 + 0.5 * Math.abs(x));
  const poly =
    -x * x -
    1.26551223 +
    t *
      (1.00002368 +
        t *
          (0.37409196 +
            t *
              (0.09678418 +
                t *
                  (-0.18628806 +
                    t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const value = t * Math.exp(poly);
  return x >= 0 ? value : 2 - value;
}

/**
 * The `quantile` (0–1) of grouped data by linear interpolation inside the bucket, as PromQL's
 * histogram_quantile does; `upperBounds` are the buckets' upper bounds (the last may be +Inf, in
 * which case the highest finite bound is returned). Null without data.
 */
export function bucketQuantile(
  quantile: number,
  upperBounds: readonly number[],
  counts: readonly number[],
): number | null {
  let total = 0;
  for (const count of counts) total += count;
  if (total <= 0) return null;
  const rank = quantile * total;
  let below = 0;
  for (let index = 0; index < upperBounds.length; index++) {
    const count = counts[index] ?? 0;
    const upper = upperBounds[index] ?? Number.POSITIVE_INFINITY;
    if (below + count >= rank && count > 0) {
      const lower = index === 0 ? 0 : (upperBounds[index - 1] ?? 0);
      if (!Number.isFinite(upper)) return lower;
      return lower + (upper - lower) * ((rank - below) / count);
    }
    below += count;
  }
  const finite = upperBounds.filter(Number.isFinite);
  return finite.at(-1) ?? null;
}
