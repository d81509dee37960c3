import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "./manual-clock.js";
import type { MetricProvider, ProviderResult } from "./metric-provider.js";
import { RolloutEngine, type RolloutEngineSnapshot, type RolloutSpec } from "./rollout-engine.js";
import type {
  RolloutDecisionRecord,
  RolloutEventSink,
  RolloutIncidentRecord,
  RolloutTransitionRecord,
} from "./rollout-event-sink.js";
import { parseRolloutPolicy } from "./rollout-policy.js";
import type { RolloutTarget, TrafficRouter } from "./traffic-router.js";

// 2 s interval, 4 s warm-up, 2 passes per step: one step every 4 s once warm. The threshold judge
// throughout: these tests are about the engine and the windowed rule (sequential-judge tests below).
const POLICY = parseRolloutPolicy(`
gates:
  - { name: error_rate, judge: threshold }
  - { name: p95_latency_ms, judge: threshold }
  - { name: log_error_ratio }
steps: [5, 15, 20, 30, 30]
warmupSeconds: 4
intervalSeconds: 2
windowSeconds: 30
passesToPromote: 2
consecutiveBreachesToRollback: 3
telemetryLoss:
  pauseAfterSeconds: 4
  revertAfterSeconds: 10
`);

/** Live telemetry the fake providers answer from; tests change it mid-rollout. */
interface Telemetry {
  errorRate: number;
  p95Ms: number;
  requests: number;
  logErrorRatio: number;
  logLines: number;
  down: boolean;
  hang: boolean;
}

const value = (v: number): ProviderResult => ({ kind: "value", value: v });

/** Fake Prometheus and Loki answering the built-in gate queries by what they measure. */
function fakeProviders(telemetry: Telemetry): { prometheus: MetricProvider; loki: MetricProvider } {
  const gate = async (signal: AbortSignal, answer: () => ProviderResult): Promise<ProviderResult> => {
    if (telemetry.hang) {
      return new Promise((resolve) =>
        signal.addEventListener("abort", () => resolve({ kind: "error", error: "cancelled" }), { once: true }),
      );
    }
    return telemetry.down ? { kind: "error", error: "connect ECONNREFUSED" } : answer();
  };
  return {
    prometheus: {
      kind: "prometheus",
      query: (query, _at, signal) =>
        gate(signal, () => {
          if (query.includes('code=~"5.."')) return value(telemetry.errorRate);
          if (query.includes("histogram_quantile")) return value(telemetry.p95Ms);
          return value(telemetry.requests); // the two sample queries
        }),
    },
    loki: {
      kind: "loki",
      query: (query, _at, signal) =>
        gate(signal, () => value(query.includes("level=~") ? telemetry.logErrorRatio : telemetry.logLines)),
    },
  };
}

class FakeRouter implements TrafficRouter {
  readonly weights: number[] = [];
  failing = false;

  constructor(private readonly name: string) {}

  async setCanaryWeight(_rollout: RolloutTarget, weight: number): Promise<void> {
    if (this.failing) throw new Error(`${this.name}: HTTPRoute patch failed: 503`);
    this.weights.push(weight);
  }
}

class RecordingSink implements RolloutEventSink {
  readonly transitions: RolloutTransitionRecord[] = [];
  readonly decisions: RolloutDecisionRecord[] = [];
  readonly incidents: RolloutIncidentRecord[] = [];
  transition(record: RolloutTransitionRecord): void {
    this.transitions.push(record);
  }
  decision(record: RolloutDecisionRecord): void {
    this.decisions.push(record);
  }
  incident(record: RolloutIncidentRecord): void {
    this.incidents.push(record);
  }
  phases(): string[] {
    return this.transitions.map((t) => t.to);
  }
}

const silentLogger = { warn: () => {}, error: () => {} };

function setup(options: { start?: Date } = {}) {
  const telemetry: Telemetry = {
    errorRate: 0.001,
    p95Ms: 120,
    requests: 500,
    logErrorRatio: 0,
    logLines: 1000,
    down: false,
    hang: false,
  };
  const clock = new ManualClock(options.start);
  const router = new FakeRouter("primary");
  const fallbackRouter = new FakeRouter("replica-ratio");
  const sink = new RecordingSink();
  const engine = new RolloutEngine({
    router,
    fallbackRouter,
    providers: fakeProviders(telemetry),
    sink,
    clock,
    logger: silentLogger,
  });
  clock.settleWith(() => engine.whenIdle());
  engines.push(engine);
  return { telemetry, clock, router, fallbackRouter, sink, engine };
}

const engines: RolloutEngine[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((engine) => engine.stop()));
});

const SPEC: RolloutSpec = { id: "r-1", service: "checkout", namespace: "shop", version: "v2", policy: POLICY };

describe("RolloutEngine", () => {
  it("walks a healthy canary through all steps to 100% and promotes it", async () => {
    const { clock, router, sink, engine } = setup();
    await engine.start(SPEC);
    await clock.advance(30_000);
    expect(engine.get("r-1")?.state).toMatchObject({ phase: "promoted", weight: 100 });
    expect(router.weights).toEqual([5, 20, 40, 70, 100]);
    expect(sink.phases()).toEqual(["warmingUp", "progressing", "promoted"]);
    expect(sink.decisions.filter((d) => d.kind === "advance").map((d) => d.weight)).toEqual([20, 40, 70, 100]);
    // Decisions carry the values behind them, and the rollout they belong to.
    const promote = sink.decisions.find((d) => d.kind === "promote");
    expect(promote?.rollout).toEqual({ id: "r-1", service: "checkout", namespace: "shop", version: "v2" });
    expect(promote?.gates.map((g) => [g.gate, g.value, g.sampleSize])).toEqual([
      ["error_rate", 0.001, 500],
      ["p95_latency_ms", 120, 500],
      ["log_error_ratio", 0, 1000],
    ]);
    expect(promote?.at).toBe("2025-01-01T00:00:22.000Z");
    expect(clock.pendingTimers).toBe(0);
  });

  it("rolls back after the configured consecutive breaches when the error rate rises mid-rollout", async () => {
    const { telemetry, clock, router, sink, engine } = setup();
    await engine.start(SPEC);
    await clock.advance(10_000); // step 3 (40%)
    expect(engine.get("r-1")?.state).toMatchObject({ phase: "progressing", weight: 40 });
    telemetry.errorRate = 0.03;
    await clock.advance(4_000);
    expect(engine.get("r-1")?.state).toMatchObject({ phase: "progressing", consecutiveBreaches: 2 });
    await clock.advance(2_000);
    expect(engine.get("r-1")?.state).toMatchObject({ phase: "rolledBack", cause: "breaches", weight: 0 });
    expect(router.weights).toEqual([5, 20, 40, 0]);
    const rollback = sink.decisions.find((d) => d.kind === "rollback");
    expect(rollback?.reason).toMatch(/^rolling back from 40% to 0%: 3 consecutive breaches: error_rate 0.03 > 0.01/);
    expect(rollback?.gates.find((g) => g.gate === "error_rate")).toMatchObject({ outcome: "breach", value: 0.03 });
    expect(sink.incidents).toMatchObject([{ severity: "critical", kind: "rollback" }]);
  });

  it("rolls back at the next evaluation when a value is beyond its severe threshold", async () => {
    const { telemetry, clock, router, engine } = setup();
    await engine.start(SPEC);
    await clock.advance(6_000);
    telemetry.p95Ms = 2_500;
    await clock.advance(2_000);
    expect(engine.get("r-1")?.state).toMatchObject({ phase: "rolledBack", cause: "severe" });
    expect(router.weights).toEqual([5, 20, 0]);
  });

  it("pauses when the providers fail, reverts to 0% after the bound and never promotes", async () => {
    const { telemetry, clock, router, sink, engine } = setup();
    await engine.start(SPEC);
    await clock.advance(6_000); // 20%
    telemetry.down = true;
    await clock.advance(2_000); // lost at 8 s
    expect(engine.get("r-1")?.state.phase).toBe("progressing");
    await clock.advance(4_000); // lost for 4 s
    expect(engine.get("r-1")?.state).toMatchObject({ phase: "paused", reason: "telemetryLost", weight: 20 });
    await clock.advance(4_000); // lost for 8 s
    expect(engine.get("r-1")?.state.phase).toBe("paused");
    await clock.advance(2_000); // lost for 10 s
    expect(engine.get("r-1")?.state).toMatchObject({ phase: "rolledBack", cause: "telemetryLost", weight: 0 });
    expect(router.weights).toEqual([5, 20, 0]);
    expect(sink.decisions.some((d) => d.kind === "promote" || (d.kind === "advance" && d.weight === 40))).toBe(false);
    expect(sink.incidents.map((i) => i.kind)).toEqual(["telemetryLost", "rollback"]);
  });

  it("treats a gate below its minimum sample size as unknown, not as a breach", async () => {
    const { telemetry, clock, engine, sink } = setup();
    await engine.start(SPEC);
    await clock.advance(4_000);
    telemetry.requests = 12; // 12 requests < minSampleSize 50
    telemetry.errorRate = 0.5; // one failure in two requests would look catastrophic
    await clock.advance(20_000);
    expect(engine.get("r-1")?.state).toMatchObject({ phase: "paused", reason: "unknownData", weight: 5 });
    expect(sink.decisions.some((d) => d.kind === "breach" || d.kind === "rollback")).toBe(false);
    expect(sink.decisions.at(-1)?.gates[0]).toMatchObject({
      gate: "error_rate",
      outcome: "unknown",
      unknownCause: "lowSample",
      sampleSize: 12,
    });
    telemetry.requests = 500;
    telemetry.errorRate = 0.001;
    await clock.advance(2_000);
    expect(engine.get("r-1")?.state).toMatchObject({ phase: "progressing", weight: 20 });
  });

  it("resets the breach count on a pass between breaches", async () => {
    const { telemetry, clock, engine } = setup();
    await engine.start(SPEC);
    await clock.advance(4_000);
    for (const rate of [0.02, 0.02, 0.001, 0.02, 0.02]) {
      telemetry.errorRate = rate;
      await clock.advance(2_000);
    }
    expect(engine.get("r-1")?.state).toMatchObject({ phase: "progressing", consecutiveBreaches: 2 });
  });

  it("completes a rollback through the fallback router when the primary throws", async () => {
    const { telemetry, clock, router, fallbackRouter, sink, engine } = setup();
    await engine.start(SPEC);
    await clock.advance(6_000);
    router.failing = true;
    telemetry.errorRate = 0.3; // severe
    await clock.advance(2_000);
    expect(engine.get("r-1")?.state).toMatchObject({ phase: "rolledBack", weight: 0 });
    expect(fallbackRouter.weights).toEqual([0]);
    expect(sink.decisions.at(-1)).toMatchObject({
      kind: "rollbackComplete",
      via: "fallback",
      reason:
        "traffic back to 0% canary via the fallback router (primary failed: primary: HTTPRoute patch failed: 503)",
    });
    expect(sink.incidents.map((i) => i.kind)).toEqual(["rollback", "routerFailure"]);
  });

  it("keeps retrying a rollback when both routers fail, until one succeeds", async () => {
    const { telemetry, clock, router, fallbackRouter, engine } = setup();
    await engine.start(SPEC);
    await clock.advance(6_000);
    router.failing = true;
    fallbackRouter.failing = true;
    telemetry.errorRate = 0.3;
    await clock.advance(4_000);
    expect(engine.get("r-1")?.state).toMatchObject({ phase: "rollingBack", attempts: 2 });
    router.failing = false;
    await clock.advance(2_000);
    expect(engine.get("r-1")?.state).toMatchObject({ phase: "rolledBack", weight: 0 });
    expect(router.weights.at(-1)).toBe(0);
  });

  it("restores from a snapshot after a restart and continues where it was", async () => {
    const first = setup();
    await first.engine.start(SPEC);
    await first.clock.advance(8_000); // 20%, one pass
    const snapshot = JSON.parse(JSON.stringify(first.engine.snapshot())) as RolloutEngineSnapshot;
    expect(snapshot.rollouts[0]?.state).toMatchObject({ phase: "progressing", stepIndex: 1, passes: 1 });
    await first.engine.stop();

    const second = setup({ start: new Date("2025-01-01T00:00:09.000Z") });
    await second.engine.restore(snapshot);
    expect(second.router.weights).toEqual([20]); // re-asserted: the last router call may have been lost
    expect(second.sink.decisions[0]).toMatchObject({ kind: "recovered", weight: 20 });
    await second.clock.advance(2_000);
    expect(second.engine.get("r-1")?.state).toMatchObject({ phase: "progressing", stepIndex: 2, weight: 40 });
    await second.clock.advance(20_000);
    expect(second.engine.get("r-1")?.state.phase).toBe("promoted");
    expect(second.router.weights).toEqual([20, 40, 70, 100]);
  });

  it("counts downtime against the telemetry-loss bound after a restore", async () => {
    const first = setup();
    await first.engine.start(SPEC);
    await first.clock.advance(6_000);
    first.telemetry.down = true;
    await first.clock.advance(6_000); // paused, lost since 8 s
    const snapshot = first.engine.snapshot();
    await first.engine.stop();

    const second = setup({ start: new Date("2025-01-01T00:00:30.000Z") });
    second.telemetry.down = true;
    await second.engine.restore(snapshot);
    await second.clock.advance(2_000);
    expect(second.engine.get("r-1")?.state).toMatchObject({ phase: "rolledBack", cause: "telemetryLost" });
  });

  it("treats an evaluation that exceeds its deadline as lost telemetry", async () => {
    const { telemetry, clock, engine } = setup();
    // A hung evaluation waits for the clock, so advancing must not wait for the engine to be idle.
    clock.settleWith(() => new Promise((resolve) => setImmediate(resolve)));
    await engine.start(SPEC);
    await clock.advance(4_000);
    telemetry.hang = true;
    await clock.advance(2_000); // tick starts; its deadline is one interval later
    await clock.advance(2_000);
    expect(engine.get("r-1")?.state).toMatchObject({ telemetryLostSince: "2025-01-01T00:00:08.000Z" });
  });

  it("supports manual promote and abort, and keeps going when the sink throws", async () => {
    const { clock, router, engine, sink } = setup();
    sink.transition = () => {
      throw new Error("NATS down");
    };
    await engine.start(SPEC);
    const promoted = await engine.promote("r-1", { actor: "ana" }); // skips the rest of step 1
    expect(promoted.state).toMatchObject({ phase: "progressing", stepIndex: 1, weight: 20 });
    await clock.advance(2_000);
    expect(router.weights).toEqual([5, 20]);
    const aborted = await engine.abort("r-1", { actor: "ana", reason: "customer complaint" });
    expect(aborted.state).toMatchObject({ phase: "aborted", reason: "customer complaint", weight: 0 });
    expect(clock.pendingTimers).toBe(0);
  });

  it("is idempotent per rollout id and refuses a second active rollout of a service", async () => {
    const { engine } = setup();
    const first = await engine.start(SPEC);
    expect(await engine.start(SPEC)).toEqual(first);
    await expect(engine.start({ ...SPEC, version: "v3" })).rejects.toMatchObject({ code: "ALREADY_EXISTS" });
    await expect(engine.start({ ...SPEC, id: "r-2" })).rejects.toMatchObject({ code: "FAILED_PRECONDITION" });
    await expect(engine.promote("nope")).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});

describe("RolloutEngine with the sequential judge", () => {
  const SEQUENTIAL = parseRolloutPolicy(`
gates:
  - { name: error_rate }
steps: [10, 40, 50]
warmupSeconds: 4
intervalSeconds: 2
passesToPromote: 3
errorBudget: { slo: 0.999 }
`);
  const spec: RolloutSpec = { ...SPEC, id: "seq-1", stableVersion: "v1", policy: SEQUENTIAL };

  /** Counters that grow with the manual clock: 200 requests/s split by the canary's weight. */
  function countingPrometheus(clock: ManualClock, weightOf: () => number) {
    const counters = { v1: { total: 0, errors: 0 }, v2: { total: 0, errors: 0 } };
    const rates = { v1: 0.005, v2: 0.005 };
    let lastMs = clock.now().getTime();
    const advanceTo = (ms: number) => {
      const seconds = (ms - lastMs) / 1000;
      lastMs = ms;
      const canary = 200 * (weightOf() / 100) * seconds;
      const stable = 200 * seconds - canary;
      counters.v2.total += Math.round(canary);
      counters.v2.errors += Math.round(canary * rates.v2);
      counters.v1.total += Math.round(stable);
      counters.v1.errors += Math.round(stable * rates.v1);
    };
    const provider: MetricProvider = {
      kind: "prometheus",
      query: async (query, at) => {
        advanceTo(at.getTime());
        const version = query.includes('version="v2"') ? "v2" : "v1";
        if (query.includes("rate(")) return value(rates[version]); // the windowed value
        if (query.includes("increase(")) return value(counters[version].total); // its sample
        return value(query.includes('code=~"5.."') ? counters[version].errors : counters[version].total);
      },
    };
    return { provider, rates };
  }

  function sequentialSetup() {
    const clock = new ManualClock();
    const router = new FakeRouter("primary");
    const sink = new RecordingSink();
    let weight = 0;
    const prometheus = countingPrometheus(clock, () => weight);
    const engine = new RolloutEngine({
      router: {
        async setCanaryWeight(rollout, next) {
          weight = next;
          await router.setCanaryWeight(rollout, next);
        },
      },
      providers: { prometheus: prometheus.provider },
      sink,
      clock,
      logger: silentLogger,
    });
    clock.settleWith(() => engine.whenIdle());
    engines.push(engine);
    return { clock, router, sink, engine, rates: prometheus.rates };
  }

  it("refuses a rollout without a stable version to compare with, naming the field", async () => {
    const { engine } = sequentialSetup();
    const { stableVersion: _stable, ...withoutStable } = spec;
    await expect(engine.start(withoutStable)).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
      field: "stableVersion",
    });
    await expect(engine.start({ ...spec, stableVersion: "v2" })).rejects.toThrow(/must differ from the canary/);
  });

  it("promotes a canary no worse than stable, with the evidence and error budget in each decision", async () => {
    const { clock, router, sink, engine } = sequentialSetup();
    await engine.start(spec);
    await clock.advance(40_000);
    expect(engine.get("seq-1")?.state).toMatchObject({ phase: "promoted" });
    expect(router.weights).toEqual([10, 50, 100]);
    const promote = sink.decisions.find((d) => d.kind === "promote");
    const gate = promote?.gates[0];
    expect(gate).toMatchObject({ gate: "error_rate", outcome: "pass", judge: "sequential" });
    expect(gate?.evidence).toMatchObject({ test: "mSPRT", alpha: 0.01, bound: 100, rejected: false });
    expect(gate?.evidence?.statistic).toBeLessThan(100);
    expect(gate?.evidence?.canaryTotal).toBeGreaterThan(1000);
    expect(gate?.evidence?.errorBudget).toMatchObject({ slo: 0.999, excessErrors: 0 });
    // Warm-up reads the counters without feeding the test: evidence starts when it ends.
    expect(gate?.evidence?.since).toBe("2025-01-01T00:00:04.000Z");
  });

  it("rolls back at once when the evidence is conclusive, recording the statistic and counts", async () => {
    const { clock, router, sink, engine, rates } = sequentialSetup();
    await engine.start(spec);
    await clock.advance(8_000);
    expect(engine.get("seq-1")?.state).toMatchObject({ phase: "progressing" });
    rates.v2 = 0.05;
    await clock.advance(20_000);
    const state = engine.get("seq-1")?.state;
    expect(state).toMatchObject({ phase: "rolledBack", cause: "evidence", weight: 0 });
    expect(router.weights.at(-1)).toBe(0);
    const rollback = sink.decisions.find((d) => d.kind === "rollback");
    expect(rollback?.reason).toMatch(/conclusive evidence: error_rate worse than baseline: e-value [\d.e+]+ ≥ 100/);
    const evidence = rollback?.gates[0]?.evidence;
    expect(evidence?.rejected).toBe(true);
    expect(evidence?.statistic).toBeGreaterThanOrEqual(100);
    expect(evidence?.estimate).toBeGreaterThan(3);
    expect(evidence?.errorBudget?.excessErrors).toBeGreaterThan(0);
    // One conclusive evaluation is enough: no run of consecutive breaches before it.
    expect(sink.decisions.filter((d) => d.kind === "breach")).toEqual([]);
  });

  it("keeps the test's evidence across a restart (snapshot and restore)", async () => {
    const first = sequentialSetup();
    await first.engine.start(spec);
    await first.clock.advance(10_000);
    const snapshot = first.engine.snapshot();
    const memory = snapshot.rollouts[0]?.judgeMemory?.error_rate;
    expect(memory?.kind).toBe("rateRatio");
    const counted = memory?.kind === "rateRatio" ? memory.test.canaryTotal : 0;
    expect(counted).toBeGreaterThan(0);
    await first.engine.stop();
    const second = sequentialSetup();
    await second.engine.restore(snapshot);
    await second.clock.advance(2_000);
    const restored = second.engine.snapshot().rollouts[0]?.judgeMemory?.error_rate;
    if (restored?.kind !== "rateRatio" || memory?.kind !== "rateRatio") throw new Error("no rate memory");
    // This fake Prometheus starts its counters at 0 again, as after a scrape target's restart: the
    // interval is left out (not counted as negative traffic) and what was counted stays.
    expect(restored.test.canaryTotal).toBe(counted);
    expect(restored.skippedIntervals).toBe(memory.skippedIntervals + 1);
    expect(restored.since).toBe(memory.since);
    await second.clock.advance(2_000);
    const later = second.engine.snapshot().rollouts[0]?.judgeMemory?.error_rate;
    expect(later?.kind === "rateRatio" ? later.test.canaryTotal : 0).toBeGreaterThan(counted);
  });
});
