import { describe, expect, it } from "vitest";
import { createSeededRandom } from "../price/seeded-random.js";
import { poissonSample } from "./poisson.js";
import {
  bucketQuantile,
  initialRateRatioTest,
  mannWhitneyGreater,
  spentAlpha,
  standardNormalCdf,
  updateRateRatioTest,
} from "./sequential-tests.js";

/** Highest count of Binomial(n, p) not exceeded with probability ≥ 1 − 1e-4 (normal bound, 3.72 σ). */
function binomialUpper(n: number, p: number): number {
  return n * p + 3.72 * Math.sqrt(n * p * (1 - p));
}

/** Runs `runs` rate-ratio tests over `intervals` intervals of Poisson traffic; returns how many rejected. */
function rejections(options: {
  runs: number;
  intervals: number;
  canaryRequests: number;
  baselineRequests: number;
  baselineRate: number;
  ratio: number;
  tolerance: number;
  alpha: number;
  seed: number;
}): number {
  const random = createSeededRandom(options.seed);
  let rejected = 0;
  for (let run = 0; run < options.runs; run++) {
    let state = initialRateRatioTest();
    for (let interval = 0; interval < options.intervals && !state.rejected; interval++) {
      const canaryTotal = poissonSample(random, options.canaryRequests);
      const baselineTotal = poissonSample(random, options.baselineRequests);
      state = updateRateRatioTest(
        state,
        {
          canaryTotal,
          canaryEvents: poissonSample(random, canaryTotal * options.baselineRate * options.ratio),
          baselineTotal,
          baselineEvents: poissonSample(random, baselineTotal * options.baselineRate),
        },
        options.tolerance,
        options.alpha,
      );
    }
    if (state.rejected) rejected++;
  }
  return rejected;
}

describe("the rate-ratio mSPRT", () => {
  // The null's boundary is the hardest case: a canary exactly (1 + tolerance) × as bad as stable.
  it("rejects a canary at the null's boundary in at most α of runs, however long it is watched", () => {
    const runs = 2000;
    const alpha = 0.05;
    for (const [tolerance, seed] of [
      [0, 11],
      [0.2, 12],
    ] as const) {
      const count = rejections({
        runs,
        intervals: 150,
        canaryRequests: 50,
        baselineRequests: 450,
        baselineRate: 0.01,
        ratio: 1 + tolerance,
        tolerance,
        alpha,
        seed,
      });
      expect(count).toBeLessThanOrEqual(binomialUpper(runs, alpha));
      // Not vacuous: a test that never rejects would pass the line above; this one does reject.
      expect(count).toBeGreaterThan(0);
    }
  });

  it("stays under α when the canary's share of traffic changes from step to step", () => {
    const random = createSeededRandom(21);
    const runs = 1500;
    const alpha = 0.05;
    let rejected = 0;
    for (let run = 0; run < runs; run++) {
      let state = initialRateRatioTest();
      for (let interval = 0; interval < 200 && !state.rejected; interval++) {
        const share = [0.05, 0.2, 0.4, 0.7][Math.floor(interval / 50)] ?? 0.7;
        const canaryTotal = poissonSample(random, 500 * share);
        const baselineTotal = poissonSample(random, 500 * (1 - share));
        state = updateRateRatioTest(
          state,
          {
            canaryTotal,
            canaryEvents: poissonSample(random, canaryTotal * 0.01),
            baselineTotal,
            baselineEvents: poissonSample(random, baselineTotal * 0.01),
          },
          0,
          alpha,
        );
      }
      if (state.rejected) rejected++;
    }
    expect(rejected).toBeLessThanOrEqual(binomialUpper(runs, alpha));
  });

  it("detects a 3× regression in nearly every run, and a healthy canary far below α", () => {
    const common = { runs: 500, intervals: 120, canaryRequests: 50, baselineRequests: 450, baselineRate: 0.01 };
    const regressed = rejections({ ...common, ratio: 3, tolerance: 0.2, alpha: 0.005, seed: 31 });
    expect(regressed / common.runs).toBeGreaterThan(0.98);
    const healthy = rejections({ ...common, ratio: 1, tolerance: 0.2, alpha: 0.005, seed: 32 });
    expect(healthy).toBeLessThanOrEqual(binomialUpper(common.runs, 0.005));
  });

  it("takes no evidence from an interval without traffic on one side, and stays rejected once rejected", () => {
    const start = initialRateRatioTest();
    const idle = updateRateRatioTest(
      start,
      { canaryTotal: 0, canaryEvents: 0, baselineTotal: 900, baselineEvents: 9 },
      0,
      0.01,
    );
    expect(idle.eValue).toBe(1);
    expect(idle.baselineTotal).toBe(900);
    const bad = updateRateRatioTest(
      start,
      { canaryTotal: 100, canaryEvents: 30, baselineTotal: 900, baselineEvents: 9 },
      0,
      0.01,
    );
    expect(bad.rejected).toBe(true);
    expect(bad.eValue).toBeGreaterThan(100);
    const after = updateRateRatioTest(
      bad,
      { canaryTotal: 100, canaryEvents: 0, baselineTotal: 900, baselineEvents: 90 },
      0,
      0.01,
    );
    expect(after.rejected).toBe(true);
  });
});

describe("Mann-Whitney on histogram buckets", () => {
  it("computes U with ties counted ½, as the pairwise definition does", () => {
    const canary = [1, 2, 0, 3];
    const baseline = [2, 1, 2, 0];
    const expand = (counts: number[]) => counts.flatMap((count, bucket) => Array<number>(count).fill(bucket));
    let u = 0;
    for (const a of expand(canary)) for (const b of expand(baseline)) u += a > b ? 1 : a === b ? 0.5 : 0;
    expect(mannWhitneyGreater(canary, baseline).u).toBe(u);
  });

  it("gives a small p-value to a shifted canary and ~uniform p-values to an identical one", () => {
    const shifted = mannWhitneyGreater([0, 10, 40, 50], [40, 40, 15, 5]);
    expect(shifted.pValue).toBeLessThan(1e-6);
    const random = createSeededRandom(41);
    const probabilities = [0.2, 0.5, 0.25, 0.05];
    const draw = (n: number) => probabilities.map((p) => poissonSample(random, n * p));
    let below = 0;
    const runs = 4000;
    for (let run = 0; run < runs; run++) if (mannWhitneyGreater(draw(60), draw(600)).pValue < 0.05) below++;
    expect(below).toBeLessThanOrEqual(binomialUpper(runs, 0.05));
    expect(below).toBeGreaterThan(runs * 0.02);
  });

  it("spends α over looks so that the sum stays within α", () => {
    let total = 0;
    for (let look = 1; look <= 100_000; look++) total += spentAlpha(0.01, look);
    expect(total).toBeLessThan(0.01);
    expect(total).toBeGreaterThan(0.0099);
  });
});

describe("helpers", () => {
  it("Φ matches known values", () => {
    expect(standardNormalCdf(0)).toBeCloseTo(0.5, 6);
    expect(standardNormalCdf(1.959964)).toBeCloseTo(0.975, 6);
    expect(standardNormalCdf(-3)).toBeCloseTo(0.0013499, 6);
  });

  it("interpolates a quantile inside its bucket, as histogram_quantile does", () => {
    // 100 observations: 50 in (0, 0.1], 50 in (0.1, 0.2]; the median is the first bucket's top.
    expect(bucketQuantile(0.5, [0.1, 0.2, Number.POSITIVE_INFINITY], [50, 50, 0])).toBeCloseTo(0.1, 9);
    expect(bucketQuantile(0.75, [0.1, 0.2, Number.POSITIVE_INFINITY], [50, 50, 0])).toBeCloseTo(0.15, 9);
    expect(bucketQuantile(0.5, [0.1], [0])).toBeNull();
  });

  it("draws Poisson counts with the right mean and variance, small and large", () => {
    const random = createSeededRandom(51);
    for (const mean of [0.3, 4, 45, 2500]) {
      const draws = Array.from({ length: 20_000 }, () => poissonSample(random, mean));
      const average = draws.reduce((sum, value) => sum + value, 0) / draws.length;
      const variance = draws.reduce((sum, value) => sum + (value - average) ** 2, 0) / draws.length;
      expect(Math.abs(average - mean)).toBeLessThan(5 * Math.sqrt(mean / draws.length));
      expect(variance / mean).toBeGreaterThan(0.93);
      expect(variance / mean).toBeLessThan(1.07);
    }
  });
});
