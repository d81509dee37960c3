import { DURATION_BUCKETS_SECONDS } from "../cluster/sim/workload-server.js";
import { createSeededRandom, type SeededRandom } from "../price/seeded-random.js";
import { type GateResult, judgeGate } from "./gate-evaluator.js";
import type { VectorSample } from "./metric-provider.js";
import { poissonSample } from "./poisson.js";
import type { RolloutPolicy } from "./rollout-policy.js";
import { createPendingState, isTerminal, isWarmingUp, next, type RolloutState } from "./rollout-state-machine.js";
import { type JudgeMemory, judgeContext, judgeSequentialGate, type SequentialMemory } from "./sequential-judge.js";
import { bucketQuantile, standardNormalCdf } from "./sequential-tests.js";

/**
 * Simulated canary traffic driving the real judge and the real state machine — the evaluation
 * harness of the release guard (`npm run bench`) and the statistical tests. Traffic is Poisson: per
 * evaluation interval, each latency bucket of each version gets a Poisson count (a thinned Poisson
 * process is Poisson), and errors are drawn among those requests. Request latency is log-normal.
 */
export interface CanaryScenario {
  /** Requests per second to the canary. */
  readonly canaryRps: number;
  /** The canary's share of the service's traffic (the baseline takes the rest). */
  readonly canaryShare: number;
  /** Error rate of the stable version. */
  readonly baselineErrorRate: number;
  /** The canary's error rate over the baseline's (1: healthy). */
  readonly errorMultiplier: number;
  /** Median request duration of the stable version, in seconds. */
  readonly baselineMedianSeconds: number;
  /** The canary's latency over the baseline's (1: healthy; 1.5: +50 %). */
  readonly latencyMultiplier: number;
  /** σ of ln(duration). */
  readonly latencySigma: number;
  /** How long the canary is watched, in seconds. */
  readonly durationSeconds: number;
}

/** What happened to one simulated canary. */
export interface CanaryOutcome {
  readonly rolledBack: boolean;
  /** Seconds from the first traffic to the rollback decision; null when not rolled back. */
  readonly detectionSeconds: number | null;
  /** The gates behind the rollback decision. */
  readonly gates: readonly string[];
}

/** One version's cumulative counters, as Prometheus would hold them. */
interface VersionCounters {
  requests: number;
  errors: number;
  /** Cumulative by bucket bound (`le`), the last is +Inf. */
  readonly buckets: number[];
}

/** The per-interval counts of one version, kept for the windowed (threshold) queries. */
interface IntervalSample {
  readonly requests: number;
  readonly errors: number;
  readonly perBucket: readonly number[];
}

const BOUNDS = [...DURATION_BUCKETS_SECONDS, Number.POSITIVE_INFINITY];

/** Probability of each bucket for a log-normal duration. */
function bucketProbabilities(medianSeconds: number, sigma: number): number[] {
  let previous = 0;
  return BOUNDS.map((bound) => {
    const cdf = Number.isFinite(bound) ? standardNormalCdf(Math.log(bound / medianSeconds) / sigma) : 1;
    const p = Math.max(0, cdf - previous);
    previous = cdf;
    return p;
  });
}

function binomialSample(random: SeededRandom, trials: number, p: number): number {
  if (trials <= 0 || p <= 0) return 0;
  if (trials < 64) {
    let count = 0;
    for (let i = 0; i < trials; i++) if (random.uniform() < p) count++;
    return count;
  }
  // Rare events among many requests: Poisson, capped at the requests.
  return Math.min(trials, poissonSample(random, trials * p));
}

class SimulatedVersion {
  readonly counters: VersionCounters = { requests: 0, errors: 0, buckets: BOUNDS.map(() => 0) };
  readonly history: IntervalSample[] = [];
  private readonly probabilities: number[];

  constructor(
    private readonly random: SeededRandom,
    private readonly rps: number,
    private readonly errorRate: number,
    medianSeconds: number,
    sigma: number,
  ) {
    this.probabilities = bucketProbabilities(medianSeconds, sigma);
  }

  advance(seconds: number): void {
    const perBucket = this.probabilities.map((p) => poissonSample(this.random, this.rps * p * seconds));
    const requests = perBucket.reduce((sum, count) => sum + count, 0);
    const errors = binomialSample(this.random, requests, this.errorRate);
    this.counters.requests += requests;
    this.counters.errors += errors;
    let running = 0;
    perBucket.forEach((count, index) => {
      running += count;
      this.counters.buckets[index] = (this.counters.buckets[index] ?? 0) + running;
    });
    this.history.push({ requests, errors, perBucket });
  }

  /** Sums over the last `intervals` intervals. */
  window(intervals: number): IntervalSample {
    const recent = this.history.slice(-intervals);
    const perBucket = BOUNDS.map((_, index) => recent.reduce((sum, sample) => sum + (sample.perBucket[index] ?? 0), 0));
    return {
      requests: recent.reduce((sum, sample) => sum + sample.requests, 0),
      errors: recent.reduce((sum, sample) => sum + sample.errors, 0),
      perBucket,
    };
  }

  bucketSeries(): VectorSample[] {
    return BOUNDS.map((bound, index) => ({
      labels: { le: Number.isFinite(bound) ? String(bound) : "+Inf" },
      value: this.counters.buckets[index] ?? 0,
    }));
  }
}

/**
 * Runs one canary through the state machine with the policy's gates (error_rate and
 * p95_latency_ms by name), each judged as the policy says, every `intervalSeconds`, for the
 * scenario's duration or until the rollout ends. Router calls succeed at once.
 */
export function simulateCanary(policy: RolloutPolicy, scenario: CanaryScenario, seed: number): CanaryOutcome {
  const random = createSeededRandom(seed);
  const baselineRps = (scenario.canaryRps * (1 - scenario.canaryShare)) / scenario.canaryShare;
  const canary = new SimulatedVersion(
    random,
    scenario.canaryRps,
    Math.min(1, scenario.baselineErrorRate * scenario.errorMultiplier),
    scenario.baselineMedianSeconds * scenario.latencyMultiplier,
    scenario.latencySigma,
  );
  const baseline = new SimulatedVersion(
    random,
    baselineRps,
    scenario.baselineErrorRate,
    scenario.baselineMedianSeconds,
    scenario.latencySigma,
  );
  const startMs = Date.UTC(2026, 0, 1);
  const interval = policy.intervalSeconds;
  const windowIntervals = Math.max(1, Math.round(policy.windowSeconds / interval));
  let state: RolloutState = createPendingState(new Date(startMs));
  state = dispatch(state, { type: "start" }, policy, new Date(startMs));
  let memory: JudgeMemory = {};
  // Elapsed 0 is the counters' first reading, as the canary's first step is set (what the warm-up
  // does in a real rollout): increases are taken from there, so the first interval's traffic counts.
  for (let elapsed = 0; elapsed <= scenario.durationSeconds; elapsed += interval) {
    const now = new Date(startMs + elapsed * 1000);
    const priming = elapsed === 0;
    if (!priming) {
      canary.advance(interval);
      baseline.advance(interval);
    }
    const countEvidence = !priming && !isWarmingUp(state, now);
    const results: GateResult[] = [];
    const nextMemory: Record<string, SequentialMemory> = {};
    for (const gate of policy.gates) {
      const windowedCanary = canary.window(windowIntervals);
      const latencyGate = gate.name === "p95_latency_ms";
      const value = latencyGate
        ? (bucketQuantile(0.95, BOUNDS, windowedCanary.perBucket) ?? Number.NaN) * 1000
        : windowedCanary.errors / windowedCanary.requests;
      const windowed = judgeGate(
        gate,
        gate.query,
        { kind: "value", value },
        { kind: "value", value: windowedCanary.requests },
      );
      if (gate.judge !== "sequential" || gate.sequential === undefined) {
        results.push(windowed);
        continue;
      }
      const reading =
        gate.sequential.kind === "rateRatio"
          ? {
              counters: {
                canaryTotal: canary.counters.requests,
                canaryEvents: canary.counters.errors,
                baselineTotal: baseline.counters.requests,
                baselineEvents: baseline.counters.errors,
              },
            }
          : { histograms: { canary: canary.bucketSeries(), baseline: baseline.bucketSeries() } };
      const context = judgeContext(gate, now, countEvidence, policy.errorBudget);
      const judged = judgeSequentialGate(gate, gate.sequential, windowed, reading, memory[gate.name], context);
      results.push(judged.result);
      if (judged.memory !== undefined) nextMemory[gate.name] = judged.memory;
    }
    memory = nextMemory;
    if (priming) continue;
    const before = state.phase;
    state = dispatch(state, { type: "tick", results }, policy, now);
    if (state.phase === "rollingBack" || state.phase === "rolledBack") {
      const gates = results.filter((result) => result.outcome === "breach").map((result) => result.gate);
      return { rolledBack: true, detectionSeconds: elapsed, gates };
    }
    if (isTerminal(state) && before !== state.phase) break;
  }
  return { rolledBack: false, detectionSeconds: null, gates: [] };
}

/** Runs the state machine for one event and confirms every weight it sets at once (a healthy router). */
function dispatch(
  state: RolloutState,
  event: Parameters<typeof next>[1],
  policy: RolloutPolicy,
  now: Date,
): RolloutState {
  let transition = next(state, event, policy, now);
  for (const action of transition.actions) {
    if (action.type !== "setWeight") continue;
    transition = next(transition.state, { type: "routerApplied", weight: action.weight, via: "primary" }, policy, now);
  }
  return transition.state;
}

/**
 * The yardstick for the error judge's detection time: Wald's sequential probability ratio test
 * told what no real judge knows — the baseline's exact error rate and the canary's true one. It
 * watches only the canary's errors (Poisson, as in {@link simulateCanary}) and rolls back once the
 * likelihood ratio of "the true rate" against "(1 + tolerance) × the baseline's" reaches 1/α, at
 * the same looks and α as the judge. No test with that false-rollback bound that has to guard the
 * whole watch does much better on average for this alternative (Wald–Wolfowitz), so the gap
 * between it and the judge is the price of learning the baseline from concurrent traffic and of
 * not knowing the regression's size.
 * @returns seconds from the first traffic to the rollback, or null when not within the watch
 */
export function oracleErrorDetectionSeconds(
  scenario: CanaryScenario,
  intervalSeconds: number,
  alpha: number,
  tolerance: number,
  seed: number,
): number | null {
  const random = createSeededRandom(seed);
  const nullRate = scenario.canaryRps * scenario.baselineErrorRate * (1 + tolerance);
  const trueRate = scenario.canaryRps * Math.min(1, scenario.baselineErrorRate * scenario.errorMultiplier);
  if (!(trueRate > nullRate)) return null;
  const logRatioPerError = Math.log(trueRate / nullRate);
  const bound = Math.log(1 / alpha);
  let logLikelihoodRatio = 0;
  for (let elapsed = intervalSeconds; elapsed <= scenario.durationSeconds; elapsed += intervalSeconds) {
    const errors = poissonSample(random, trueRate * intervalSeconds);
    logLikelihoodRatio += errors * logRatioPerError - (trueRate - nullRate) * intervalSeconds;
    if (logLikelihoodRatio >= bound) return elapsed;
  }
  return null;
}
