/**
 * Evaluation harness of the release guard's judges: the real state machine and the real gate
 * judges (threshold rule and sequential judge), driven by simulated Poisson traffic.
 *
 *   node bench/dist/release-guard/bench-judge-main.js [--runs 1000] [--seed 1] [--minutes 10]
 *
 * Cells: canary traffic 1, 10 and 100 requests/s (the canary holds 10 % of the service, the stable
 * baseline the other 90 %), healthy or regressed (2× and 10× the baseline's 0.5 % error rate;
 * +50 % latency on a log-normal of median 100 ms, σ 0.4), each for the threshold rule (the built-in
 * error_rate and p95_latency_ms gates: 30 s window, 5 s interval, 3 consecutive breaches, 50
 * samples) and for the sequential judge (the same gates with `judge: sequential`, α 0.01 split
 * between them). No warm-up, so detection time counts from the canary's first request; the
 * canary stays at 10 % (passesToPromote is out of reach) for `--minutes`. Seeded: the same seed
 * gives the same figures.
 *
 * Figures (one JSON line each on stdout; tables on stderr): per cell, false rollbacks as a
 * percentage of healthy canaries and per canary-hour, and for regressions the share detected and
 * detection time p50/p90. Baseline: the threshold rule's figure of the same cell in this run.
 * Exit status 1 when a target of the issue is missed (false rollbacks ≤ 1 % at every traffic level;
 * 10× errors detected p90 ≤ 20 s at 10 requests/s and ≤ 10 s at 100).
 */
import { parseArgs } from "node:util";
import { printBenchFigure } from "@sentra/common";
import {
  type CanaryScenario,
  oracleErrorDetectionSeconds,
  parseRolloutPolicy,
  type RolloutPolicy,
  simulateCanary,
} from "@sentra/satellite";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "1000" },
    seed: { type: "string", default: "1" },
    minutes: { type: "string", default: "10" },
    json: { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});
if (values.help) {
  process.stderr.write("usage: bench-judge-main.js [--runs 1000] [--seed 1] [--minutes 10]\n");
  process.exit(0);
}
const runs = positiveInteger(values.runs, "--runs");
const seed = positiveInteger(values.seed, "--seed");
const minutes = positiveInteger(values.minutes, "--minutes");

const COMMON = `
steps: [10, 90]
warmupSeconds: 0
passesToPromote: 1000
`;
const JUDGES: Record<"threshold" | "sequential", RolloutPolicy> = {
  threshold: parseRolloutPolicy(
    `${COMMON}gates:\n  - { name: error_rate, judge: threshold }\n  - { name: p95_latency_ms, judge: threshold }\n`,
    "threshold.yaml",
  ),
  sequential: parseRolloutPolicy(
    `${COMMON}gates:\n  - { name: error_rate, judge: sequential }\n  - { name: p95_latency_ms, judge: sequential }\n`,
    "sequential.yaml",
  ),
};

const SCENARIOS = [
  { name: "healthy", errorMultiplier: 1, latencyMultiplier: 1 },
  { name: "errors_2x", errorMultiplier: 2, latencyMultiplier: 1 },
  { name: "errors_10x", errorMultiplier: 10, latencyMultiplier: 1 },
  { name: "latency_plus_50pct", errorMultiplier: 1, latencyMultiplier: 1.5 },
] as const;
const RATES = [1, 10, 100] as const;

interface CellResult {
  readonly rolledBack: number;
  readonly detection: number[];
}

function runCell(policy: RolloutPolicy, scenario: CanaryScenario, cellSeed: number): CellResult {
  let rolledBack = 0;
  const detection: number[] = [];
  for (let run = 0; run < runs; run++) {
    const outcome = simulateCanary(policy, scenario, cellSeed * 1_000_003 + run);
    if (outcome.rolledBack) {
      rolledBack++;
      if (outcome.detectionSeconds !== null) detection.push(outcome.detectionSeconds);
    }
  }
  return { rolledBack, detection: detection.sort((a, b) => a - b) };
}

const ERROR_GATE = JUDGES.sequential.gates.find((gate) => gate.name === "error_rate")?.sequential;
if (ERROR_GATE === undefined) throw new Error("the sequential policy has no sequential error_rate gate");

/** The oracle SPRT's detection times for a cell (see oracleErrorDetectionSeconds). */
function runOracle(scenario: CanaryScenario, cellSeed: number): CellResult {
  const interval = JUDGES.sequential.intervalSeconds;
  const detection: number[] = [];
  for (let run = 0; run < runs; run++) {
    const seconds = oracleErrorDetectionSeconds(
      scenario,
      interval,
      ERROR_GATE?.alpha ?? 0,
      ERROR_GATE?.tolerance ?? 0,
      cellSeed * 1_000_003 + run,
    );
    if (seconds !== null) detection.push(seconds);
  }
  return { rolledBack: detection.length, detection: detection.sort((a, b) => a - b) };
}

/** Percentage of all runs rolled back within `seconds`. */
function within(result: CellResult, seconds: number): number {
  return (result.detection.filter((value) => value <= seconds).length / runs) * 100;
}

function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? null;
}

const started = performance.now();
const rows: string[] = [];
let missed = 0;
for (const rps of RATES) {
  for (const [scenarioIndex, scenario] of SCENARIOS.entries()) {
    const cell: CanaryScenario = {
      canaryRps: rps,
      canaryShare: 0.1,
      baselineErrorRate: 0.005,
      errorMultiplier: scenario.errorMultiplier,
      baselineMedianSeconds: 0.1,
      latencyMultiplier: scenario.latencyMultiplier,
      latencySigma: 0.4,
      durationSeconds: minutes * 60,
    };
    const cellSeed = seed * 97 + rps * 13 + scenarioIndex;
    const threshold = runCell(JUDGES.threshold, cell, cellSeed);
    const sequential = runCell(JUDGES.sequential, cell, cellSeed);
    const prefix = `judge_${scenario.name}_${rps}rps`;
    const canaryHours = (runs * minutes) / 60;
    if (scenario.name === "healthy") {
      const thresholdPct = (threshold.rolledBack / runs) * 100;
      const sequentialPct = (sequential.rolledBack / runs) * 100;
      printBenchFigure(`${prefix}_false_rollbacks_sequential`, sequentialPct, "% of canaries", thresholdPct);
      printBenchFigure(
        `${prefix}_false_rollbacks_per_canary_hour_sequential`,
        sequential.rolledBack / canaryHours,
        "per canary-hour",
        threshold.rolledBack / canaryHours,
      );
      if (sequentialPct > 1) missed++;
      rows.push(
        `${String(rps).padStart(4)} rps  ${scenario.name.padEnd(20)} false rollbacks: threshold ${thresholdPct.toFixed(1)}%  sequential ${sequentialPct.toFixed(1)}%`,
      );
      continue;
    }
    const detected = (result: CellResult) => (result.rolledBack / runs) * 100;
    printBenchFigure(`${prefix}_detected_sequential`, detected(sequential), "% of canaries", detected(threshold));
    for (const p of [50, 90] as const) {
      const value = percentile(sequential.detection, p);
      const base = percentile(threshold.detection, p);
      // An undetected majority has no percentile: the whole watch time is the honest lower bound.
      printBenchFigure(`${prefix}_detection_p${p}_sequential`, value ?? minutes * 60, "s", base ?? minutes * 60);
    }
    if (scenario.errorMultiplier > 1) {
      // What the best-informed test does in this cell: the judge's yardstick (baseline: the judge).
      const oracle = runOracle(cell, cellSeed);
      const oracleP90 = oracle.rolledBack / runs >= 0.9 ? percentile(oracle.detection, 90) : null;
      const sequentialP90 = sequential.rolledBack / runs >= 0.9 ? percentile(sequential.detection, 90) : null;
      printBenchFigure(
        `${prefix}_detection_p90_oracle_sprt`,
        oracleP90 ?? minutes * 60,
        "s",
        sequentialP90 ?? minutes * 60,
      );
      printBenchFigure(`${prefix}_within_20s_oracle_sprt`, within(oracle, 20), "% of canaries", within(sequential, 20));
      rows.push(
        `${String(rps).padStart(4)} rps  ${scenario.name.padEnd(20)} within 20 s: threshold ${within(threshold, 20).toFixed(1)}%  sequential ${within(sequential, 20).toFixed(1)}%  oracle SPRT (knows both rates) ${within(oracle, 20).toFixed(1)}%, p90 ${oracleP90 ?? "-"} s`,
      );
    }
    const p90 = percentile(sequential.detection, 90);
    const p90OfAll = sequential.rolledBack / runs >= 0.9 ? p90 : null;
    if (scenario.name === "errors_10x" && rps === 10 && (p90OfAll === null || p90OfAll > 20)) missed++;
    if (scenario.name === "errors_10x" && rps === 100 && (p90OfAll === null || p90OfAll > 10)) missed++;
    const describe = (result: CellResult) =>
      `${detected(result).toFixed(1)}% detected, p50 ${percentile(result.detection, 50) ?? "-"} s, p90 ${percentile(result.detection, 90) ?? "-"} s`;
    rows.push(
      `${String(rps).padStart(4)} rps  ${scenario.name.padEnd(20)} threshold ${describe(threshold).padEnd(40)} sequential ${describe(sequential)}`,
    );
  }
}
process.stderr.write(
  `\njudge evaluation: ${runs} canaries per cell, ${minutes} min each, seed ${seed}, ${((performance.now() - started) / 1000).toFixed(1)} s\n${rows.join("\n")}\n`,
);
if (missed > 0) {
  process.stderr.write(`${missed} target(s) missed\n`);
  process.exit(1);
}

function positiveInteger(raw: string | undefined, flag: string): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    process.stderr.write(`${flag} must be a positive whole number, got ${raw}\n`);
    process.exit(2);
  }
  return value;
}
