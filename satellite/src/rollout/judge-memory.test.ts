import { describe, expect, it } from "vitest";
import { readJudgeMemory } from "./judge-memory.js";
import type { DistributionMemory, RateRatioMemory } from "./sequential-judge.js";
import { initialRateRatioTest, updateRateRatioTest } from "./sequential-tests.js";

// A canary failing every request at high traffic: one interval's evidence overflows the e-value.
const counts = { canaryTotal: 5_000, canaryEvents: 5_000, baselineTotal: 45_000, baselineEvents: 2 };

function rateMemory(): RateRatioMemory {
  // The mixture overflows to an infinite e-value, which JSON writes as null.
  const test = updateRateRatioTest(initialRateRatioTest(), counts, 0.2, 0.005);
  return { kind: "rateRatio", last: counts, test, since: "2026-12-07T09:00:00.000Z", skippedIntervals: 1 };
}

const distribution: DistributionMemory = {
  kind: "distribution",
  bounds: [0.1, 0.5, 1e308],
  last: { canary: [1, 2, 3], baseline: [4, 5, 6] },
  canary: [1, 2, 3],
  baseline: [4, 5, 6],
  looks: 3,
  rejected: false,
  since: null,
  skippedIntervals: 0,
};

describe("readJudgeMemory", () => {
  it("reads back what the judge remembered after a trip through JSON, an infinite e-value included", () => {
    const memory = { error_rate: rateMemory(), p95_latency_ms: distribution };
    expect(memory.error_rate.test.eValue).toBe(Number.POSITIVE_INFINITY);
    const travelled = JSON.parse(JSON.stringify(memory));
    expect(travelled.error_rate.test.eValue).toBeNull();
    expect(readJudgeMemory(travelled)).toEqual({ memory, rejected: [] });
  });

  it("leaves out malformed gates by name, so their tests start afresh, and keeps the rest", () => {
    const good = rateMemory();
    const { memory, rejected } = readJudgeMemory({
      error_rate: good,
      wrong_grid: { ...good, test: { ...good.test, logLikelihoodRatios: [0, 1] } },
      negative_skips: { ...good, skippedIntervals: -1 },
      bad_since: { ...good, since: "yesterday" },
      short_buckets: { ...distribution, canary: [1, 2] },
      unknown_kind: { ...distribution, kind: "bayesian" },
      not_an_object: 42,
    });
    expect(Object.keys(memory)).toEqual(["error_rate"]);
    expect(rejected).toEqual([
      "wrong_grid",
      "negative_skips",
      "bad_since",
      "short_buckets",
      "unknown_kind",
      "not_an_object",
    ]);
  });

  it("reads nothing from what is not an object", () => {
    for (const value of [undefined, null, [], "memory"]) {
      expect(readJudgeMemory(value)).toEqual({ memory: {}, rejected: [] });
    }
  });
});
