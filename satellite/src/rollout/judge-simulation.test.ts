import { describe, expect, it } from "vitest";
import { type CanaryScenario, oracleErrorDetectionSeconds, simulateCanary } from "./judge-simulation.js";
import { parseRolloutPolicy } from "./rollout-policy.js";

const scenario = (canaryRps: number, errorMultiplier: number): CanaryScenario => ({
  canaryRps,
  canaryShare: 0.1,
  baselineErrorRate: 0.005,
  errorMultiplier,
  baselineMedianSeconds: 0.1,
  latencyMultiplier: 1,
  latencySigma: 0.4,
  durationSeconds: 600,
});

const SEQUENTIAL = parseRolloutPolicy(
  "steps: [10, 90]\nwarmupSeconds: 0\npassesToPromote: 1000\ngates:\n  - { name: error_rate, judge: sequential }\n",
  "sequential.yaml",
);

describe("oracleErrorDetectionSeconds", () => {
  it("never rolls back a canary no worse than the tolerated rate", () => {
    for (let seed = 1; seed <= 50; seed++) {
      expect(oracleErrorDetectionSeconds(scenario(10, 1), 5, 0.005, 0.2, seed)).toBeNull();
      expect(oracleErrorDetectionSeconds(scenario(10, 1.2), 5, 0.005, 0.2, seed)).toBeNull();
    }
  });

  it("is seeded, looks at the interval's multiples, and catches a 10× regression at 100 rps at the first look", () => {
    const times = Array.from({ length: 200 }, (_, i) =>
      oracleErrorDetectionSeconds(scenario(100, 10), 5, 0.005, 0.2, i),
    );
    expect(times).toEqual(
      Array.from({ length: 200 }, (_, i) => oracleErrorDetectionSeconds(scenario(100, 10), 5, 0.005, 0.2, i)),
    );
    expect(times.every((seconds) => seconds !== null && seconds % 5 === 0)).toBe(true);
    expect(times.filter((seconds) => seconds === 5).length).toBeGreaterThan(190);
  });

  it("knows more than the judge: at 10 rps and the same α it detects a 10× regression at least as often within 20 s", () => {
    const alpha = SEQUENTIAL.gates[0]?.sequential?.alpha ?? 0;
    expect(alpha).toBe(0.01);
    let oracle = 0;
    let judge = 0;
    for (let seed = 1; seed <= 300; seed++) {
      if ((oracleErrorDetectionSeconds(scenario(10, 10), 5, alpha, 0.2, seed) ?? 601) <= 20) oracle++;
      const outcome = simulateCanary(SEQUENTIAL, { ...scenario(10, 10), durationSeconds: 60 }, seed);
      if ((outcome.detectionSeconds ?? 601) <= 20) judge++;
    }
    expect(oracle).toBeGreaterThanOrEqual(judge);
    expect(judge).toBeGreaterThan(150);
  });
});
