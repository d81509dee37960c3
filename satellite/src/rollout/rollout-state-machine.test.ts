import { describe, expect, it } from "vitest";
import type { GateResult, UnknownCause } from "./gate-evaluator.js";
import { parseRolloutPolicy, type RolloutPolicy } from "./rollout-policy.js";
import {
  createPendingState,
  type Decision,
  type Incident,
  next,
  type RolloutEvent,
  type RolloutState,
} from "./rollout-state-machine.js";

const CANARY = `
steps: [10, 40, 50]
warmupSeconds: 10
intervalSeconds: 5
passesToPromote: 2
consecutiveBreachesToRollback: 3
rollbackMaxAttempts: 3
telemetryLoss: { pauseAfterSeconds: 10, revertAfterSeconds: 30 }
gates:
  - name: error_rate
  - name: p95_latency_ms
`;

function gate(name: string, outcome: GateResult["outcome"], extra: Partial<GateResult> = {}): GateResult {
  return {
    gate: name,
    provider: "prometheus",
    outcome,
    value: outcome === "unknown" ? null : outcome === "pass" ? 0.001 : 0.02,
    threshold: 0.01,
    comparator: "lte",
    severe: false,
    reason: `${name} ${outcome}`,
    query: "q",
    ...extra,
  };
}

const unknown = (name: string, cause: UnknownCause): GateResult => gate(name, "unknown", { unknownCause: cause });
const healthy = (): RolloutEvent => ({
  type: "tick",
  results: [gate("error_rate", "pass"), gate("p95_latency_ms", "pass")],
});
const breaching = (): RolloutEvent => ({
  type: "tick",
  results: [gate("error_rate", "breach"), gate("p95_latency_ms", "pass")],
});
const severe = (): RolloutEvent => ({
  type: "tick",
  results: [gate("error_rate", "breach", { value: 0.4, severe: true }), gate("p95_latency_ms", "pass")],
});
const providersDown = (): RolloutEvent => ({
  type: "tick",
  results: [unknown("error_rate", "providerError"), unknown("p95_latency_ms", "providerError")],
});

/** Feeds events to the pure state machine on a simulated clock, collecting every action. */
class Driver {
  state: RolloutState;
  readonly weights: number[] = [];
  readonly decisions: Decision[] = [];
  readonly incidents: Incident[] = [];
  private nowMs = Date.parse("2025-01-01T00:00:00.000Z");

  constructor(readonly policy: RolloutPolicy) {
    this.state = createPendingState(new Date(this.nowMs));
  }

  /** Sends `event` after `afterSeconds` of simulated time. */
  send(event: RolloutEvent, afterSeconds = 0): RolloutState {
    this.nowMs += afterSeconds * 1000;
    const { state, actions } = next(this.state, event, this.policy, new Date(this.nowMs));
    for (const action of actions) {
      if (action.type === "setWeight") this.weights.push(action.weight);
      if (action.type === "recordDecision") this.decisions.push(action.decision);
      if (action.type === "emitIncident") this.incidents.push(action.incident);
    }
    this.state = state;
    return state;
  }

  /** Sends a tick every interval, `count` times. */
  ticks(count: number, event: () => RolloutEvent): RolloutState {
    for (let i = 0; i < count; i++) this.send(event(), this.policy.intervalSeconds);
    return this.state;
  }

  /** Confirms the last requested weight through the given router. */
  applied(via: "primary" | "fallback" = "primary"): RolloutState {
    const weight = this.weights.at(-1) ?? 0;
    return this.send({
      type: "routerApplied",
      weight,
      via,
      ...(via === "fallback" ? { primaryError: "HTTPRoute patch failed" } : {}),
    });
  }

  /** Starts the rollout and runs through the warm-up. */
  started(): this {
    this.send({ type: "start" });
    this.applied();
    this.ticks(2, healthy); // 5 s: still warming; 10 s: warm-up over, first counted pass
    return this;
  }
}

describe("rollout state machine", () => {
  const policy = parseRolloutPolicy(CANARY);

  it("walks a healthy canary through every step to promoted at 100%", () => {
    const run = new Driver(policy);
    expect(run.send({ type: "start" })).toMatchObject({ phase: "warmingUp", weight: 10 });
    run.applied();
    expect(run.ticks(1, healthy)).toMatchObject({ phase: "warmingUp" });
    expect(run.ticks(1, healthy)).toMatchObject({ phase: "progressing", stepIndex: 0, passes: 1 });
    expect(run.ticks(1, healthy)).toMatchObject({ phase: "progressing", stepIndex: 1, weight: 50, passes: 0 });
    run.applied();
    run.ticks(2, healthy);
    expect(run.state).toMatchObject({ phase: "progressing", stepIndex: 2, weight: 100 });
    run.applied();
    expect(run.ticks(2, healthy)).toMatchObject({ phase: "promoted", weight: 100 });
    expect(run.weights).toEqual([10, 50, 100]);
    expect(run.decisions.map((d) => d.kind)).toEqual([
      "start",
      "weightApplied",
      "hold",
      "pass",
      "advance",
      "weightApplied",
      "pass",
      "advance",
      "weightApplied",
      "pass",
      "promote",
    ]);
    // Every evaluation decision carries the gate values behind it.
    expect(run.decisions.at(-1)?.gates.map((g) => [g.gate, g.value])).toEqual([
      ["error_rate", 0.001],
      ["p95_latency_ms", 0.001],
    ]);
    expect(run.incidents).toEqual([]);
  });

  it("rolls back after the configured consecutive breaches, and a pass resets the count", () => {
    const run = new Driver(policy).started();
    run.ticks(2, breaching);
    expect(run.state).toMatchObject({ phase: "progressing", consecutiveBreaches: 2, passes: 0 });
    run.ticks(1, healthy);
    expect(run.state).toMatchObject({ phase: "progressing", consecutiveBreaches: 0, passes: 1 });
    run.ticks(2, breaching);
    expect(run.state).toMatchObject({ phase: "progressing", consecutiveBreaches: 2 });
    expect(run.ticks(1, breaching)).toMatchObject({
      phase: "rollingBack",
      cause: "breaches",
      fromWeight: 10,
      targetWeight: 0,
    });
    expect(run.weights.at(-1)).toBe(0);
    expect(run.incidents).toMatchObject([{ severity: "critical", kind: "rollback" }]);
    expect(run.applied()).toMatchObject({ phase: "rolledBack", cause: "breaches", weight: 0 });
  });

  it("rolls back on the first evaluation beyond a severe threshold, even during warm-up", () => {
    const run = new Driver(policy);
    run.send({ type: "start" });
    expect(run.send(severe(), 5)).toMatchObject({ phase: "rollingBack", cause: "severe" });
    expect(run.decisions.at(-1)?.reason).toMatch(/^rolling back from 10% to 0%: severe breach: error_rate breach/);
    expect(run.decisions.at(-1)?.gates[0]).toMatchObject({ gate: "error_rate", value: 0.4, severe: true });
  });

  it("pauses on unknown data (onUnknown: pause) without counting a breach or a pass, then resumes", () => {
    const run = new Driver(policy).started();
    run.ticks(1, breaching);
    const lowTraffic = (): RolloutEvent => ({
      type: "tick",
      results: [unknown("error_rate", "lowSample"), gate("p95_latency_ms", "pass")],
    });
    expect(run.ticks(1, lowTraffic)).toMatchObject({
      phase: "paused",
      reason: "unknownData",
      resumeTo: { consecutiveBreaches: 1, passes: 0 },
    });
    expect(run.ticks(3, lowTraffic)).toMatchObject({ phase: "paused" });
    // The breach before the pause still counts: unknown does not reset the chain, only a pass does.
    expect(run.ticks(1, breaching)).toMatchObject({ phase: "progressing", consecutiveBreaches: 2 });
    expect(run.ticks(1, healthy)).toMatchObject({ phase: "progressing", consecutiveBreaches: 0, passes: 1 });
    expect(run.decisions.map((d) => d.kind)).toContain("resume");
  });

  it("applies onUnknown breach and ignore per gate", () => {
    const mixed = parseRolloutPolicy(
      `${CANARY}\nonUnknown: breach\n`.replace(
        "  - name: p95_latency_ms",
        "  - name: p95_latency_ms\n    onUnknown: ignore",
      ),
    );
    const run = new Driver(mixed).started();
    const latencyUnknown = (): RolloutEvent => ({
      type: "tick",
      results: [gate("error_rate", "pass"), unknown("p95_latency_ms", "empty")],
    });
    // p95 ignored: error_rate alone decides, and passes.
    expect(run.ticks(1, latencyUnknown)).toMatchObject({ phase: "progressing", stepIndex: 1 });
    const errorUnknown = (): RolloutEvent => ({
      type: "tick",
      results: [unknown("error_rate", "notFinite"), gate("p95_latency_ms", "pass")],
    });
    expect(run.ticks(1, errorUnknown)).toMatchObject({ consecutiveBreaches: 1 });
    const allIgnored = (): RolloutEvent => ({ type: "tick", results: [unknown("p95_latency_ms", "empty")] });
    expect(run.ticks(5, allIgnored)).toMatchObject({
      phase: "progressing",
      stepIndex: 1,
      passes: 0,
      consecutiveBreaches: 1,
    });
  });

  it("pauses when telemetry is lost, reverts to 0% after the bound, and never promotes", () => {
    const run = new Driver(policy).started();
    run.ticks(1, providersDown); // lost since t
    expect(run.state).toMatchObject({ phase: "progressing", passes: 1 });
    expect(run.ticks(2, providersDown)).toMatchObject({
      phase: "paused",
      reason: "telemetryLost",
      lastHealthyWeight: 0,
    });
    expect(run.incidents).toMatchObject([{ severity: "warning", kind: "telemetryLost" }]);
    run.ticks(3, providersDown); // 25 s lost
    expect(run.state.phase).toBe("paused");
    expect(run.ticks(1, providersDown)).toMatchObject({
      phase: "rollingBack",
      cause: "telemetryLost",
      targetWeight: 0,
    });
    expect(run.applied()).toMatchObject({ phase: "rolledBack", weight: 0 });
    expect(run.decisions.map((d) => d.kind)).not.toContain("promote");
    expect(run.weights).toEqual([10, 0]);
  });

  it("resumes where it was when telemetry returns before the revert bound", () => {
    const run = new Driver(policy).started();
    run.ticks(3, providersDown);
    expect(run.state).toMatchObject({ phase: "paused", reason: "telemetryLost" });
    expect(run.ticks(1, healthy)).toMatchObject({ phase: "progressing", stepIndex: 1, telemetryLostSince: null });
  });

  it("treats a telemetryLost event like a tick where every provider failed", () => {
    const run = new Driver(policy).started();
    run.send({ type: "telemetryLost", reason: "evaluation exceeded 5000 ms" }, 5);
    expect(run.state).toMatchObject({ phase: "progressing", telemetryLostSince: "2025-01-01T00:00:15.000Z" });
  });

  it("retries a failed rollback each interval and reports the fallback router", () => {
    const run = new Driver(policy).started();
    run.ticks(3, breaching);
    expect(run.send({ type: "routerFailed", weight: 0, error: "primary: 503; fallback: 503" })).toMatchObject({
      phase: "rollingBack",
      attempts: 1,
    });
    expect(run.incidents.map((i) => i.kind)).toEqual(["rollback", "routerFailure"]);
    run.ticks(1, healthy);
    expect(run.weights.slice(-2)).toEqual([0, 0]);
    expect(run.applied("fallback")).toMatchObject({ phase: "rolledBack", weight: 0 });
    expect(run.decisions.at(-1)).toMatchObject({
      kind: "rollbackComplete",
      via: "fallback",
      reason: "traffic back to 0% canary via the fallback router (primary failed: HTTPRoute patch failed)",
    });
  });

  it("ends failed when the rollback cannot be confirmed after rollbackMaxAttempts", () => {
    const run = new Driver(policy).started();
    run.ticks(3, breaching);
    for (let attempt = 0; attempt < 3; attempt++) {
      run.send({ type: "routerFailed", weight: 0, error: "both down" }, 5);
    }
    expect(run.state).toMatchObject({ phase: "failed", lastKnownWeight: null });
    expect(run.incidents.at(-1)).toMatchObject({ severity: "critical", kind: "rollbackFailed" });
  });

  it("rolls back when a forward weight change fails", () => {
    const run = new Driver(policy).started();
    run.ticks(1, healthy); // advance to 50%
    expect(run.send({ type: "routerFailed", weight: 50, error: "denied" })).toMatchObject({
      phase: "rollingBack",
      cause: "routerError",
    });
  });

  it("promotes manually one step, or fully through promoting", () => {
    const run = new Driver(policy).started();
    expect(run.send({ type: "promote", actor: "ana" })).toMatchObject({
      phase: "progressing",
      stepIndex: 1,
      weight: 50,
    });
    expect(run.decisions.at(-1)).toMatchObject({ kind: "advance", actor: "ana" });
    expect(run.send({ type: "promote", full: true })).toMatchObject({ phase: "promoting", weight: 100 });
    expect(run.applied()).toMatchObject({ phase: "promoted" });
  });

  it("aborts to 0% and ends aborted; an abort before start moves no traffic", () => {
    const run = new Driver(policy).started();
    expect(run.send({ type: "abort", actor: "ana" })).toMatchObject({
      phase: "rollingBack",
      cause: "abort",
      actor: "ana",
    });
    expect(run.applied()).toMatchObject({ phase: "aborted", reason: "aborted by ana", weight: 0 });
    const early = new Driver(policy);
    expect(early.send({ type: "abort" })).toMatchObject({ phase: "aborted" });
    expect(early.weights).toEqual([]);
  });

  it("runs blue-green as analysis at 0%, one switch to 100%, verification, promotion", () => {
    const run = new Driver(parseRolloutPolicy("strategy: blueGreen\nwarmupSeconds: 0\npassesToPromote: 2\n"));
    run.send({ type: "start" });
    run.applied();
    run.ticks(1, healthy);
    expect(run.state).toMatchObject({ phase: "progressing", stepIndex: 0, weight: 0, passes: 1 });
    expect(run.ticks(1, healthy)).toMatchObject({ phase: "progressing", stepIndex: 1, weight: 100 });
    run.applied();
    expect(run.ticks(2, healthy)).toMatchObject({ phase: "promoted" });
    expect(run.weights).toEqual([0, 100]);
  });

  it("switches blue-green back to 0% when verification after the switch breaches", () => {
    const run = new Driver(
      parseRolloutPolicy(
        "strategy: blueGreen\nwarmupSeconds: 0\npassesToPromote: 1\nconsecutiveBreachesToRollback: 1\n",
      ),
    );
    run.send({ type: "start" });
    run.ticks(1, healthy);
    expect(run.state).toMatchObject({ weight: 100 });
    expect(run.ticks(1, breaching)).toMatchObject({ phase: "rollingBack", fromWeight: 100, targetWeight: 0 });
  });

  it("re-asserts the weight on recovery and keeps state plain JSON", () => {
    const run = new Driver(policy).started();
    const restored = JSON.parse(JSON.stringify(run.state)) as RolloutState;
    expect(restored).toEqual(run.state);
    const { actions } = next(restored, { type: "recovered" }, policy, new Date("2025-01-01T00:01:00.000Z"));
    expect(actions[0]).toEqual({ type: "setWeight", weight: 10, reason: "re-assert after restart" });
  });

  it("ignores evaluations once finished", () => {
    const run = new Driver(policy).started();
    run.send({ type: "abort" });
    run.applied();
    const before = run.state;
    expect(run.ticks(3, severe)).toBe(before);
  });
});
