import { createLogger, isRecord, SentraError } from "@sentra/common";
import { GateEvaluator } from "./gate-evaluator.js";
import { readJudgeMemory } from "./judge-memory.js";
import type { ProviderRegistry } from "./metric-provider.js";
import { type RolloutClock, systemClock, type TimerHandle } from "./rollout-clock.js";
import type { RolloutEventSink } from "./rollout-event-sink.js";
import type { RolloutPolicy } from "./rollout-policy.js";
import {
  createPendingState,
  isEvaluating,
  isTerminal,
  isWarmingUp,
  next,
  type RolloutAction,
  type RolloutEvent,
  type RolloutState,
} from "./rollout-state-machine.js";
import type { JudgeMemory } from "./sequential-judge.js";
import type { RolloutTarget, TrafficRouter } from "./traffic-router.js";

/** Deadline of one router call, in ms; a router that hangs longer counts as failed. */
export const DEFAULT_ROUTER_TIMEOUT_MS = 10_000;

/** What to roll out, and by which policy. Plain JSON. */
export interface RolloutSpec extends RolloutTarget {
  readonly policy: RolloutPolicy;
}

/** A rollout as the engine holds it. */
export interface RolloutStatus {
  readonly spec: RolloutSpec;
  readonly state: RolloutState;
}

/** A rollout in a snapshot: its status and what its sequential gates have counted so far. */
export interface RolloutSnapshotEntry extends RolloutStatus {
  /** Absent in snapshots taken before the sequential judge: the tests start afresh. */
  readonly judgeMemory?: JudgeMemory;
}

/** Everything needed to resume the engine's rollouts after a restart. Plain JSON. */
export interface RolloutEngineSnapshot {
  /** Format version; {@link restore} accepts 1. */
  readonly version: 1;
  readonly takenAt: string;
  readonly rollouts: readonly RolloutSnapshotEntry[];
}

/** The logging the engine needs (pino's signature). */
export interface RolloutEngineLogger {
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

/** Dependencies and settings of a {@link RolloutEngine}. */
export interface RolloutEngineOptions {
  /** Primary traffic router (Gateway API HTTPRoute weights, Istio, NGINX canary). */
  readonly router: TrafficRouter;
  /**
   * Router tried when the primary throws — the replica-ratio router — so that a rollback completes
   * even when the primary is broken. @default none
   */
  readonly fallbackRouter?: TrafficRouter;
  /** Telemetry providers by kind. */
  readonly providers: ProviderRegistry;
  /** Receives transitions, decisions and incidents. */
  readonly sink: RolloutEventSink;
  /** @default systemClock */
  readonly clock?: RolloutClock;
  /** Deadline of one evaluation of all gates, in ms. @default the policy's intervalSeconds × 1000 */
  readonly evaluationTimeoutMs?: number;
  /** Deadline of one router call, in ms. @default 10000 */
  readonly routerTimeoutMs?: number;
  /** @default createLogger("rollout-engine") */
  readonly logger?: RolloutEngineLogger;
}

interface Runtime {
  readonly spec: RolloutSpec;
  state: RolloutState;
  /** The sequential gates' counts and tests, carried from evaluation to evaluation. */
  judgeMemory: JudgeMemory;
  timer: TimerHandle | undefined;
  queue: Promise<void>;
}

/**
 * Drives rollouts: every `intervalSeconds` it evaluates each rollout's gates, feeds the results to
 * the state machine and performs the resulting actions — decisions and incidents to the sink, then
 * weight changes through the router (falling back to the fallback router when the primary
 * throws). Events of one rollout are handled one at a time, in order.
 */
export class RolloutEngine {
  private readonly rollouts = new Map<string, Runtime>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly shutdown = new AbortController();
  private readonly clock: RolloutClock;
  private readonly evaluator: GateEvaluator;
  private readonly logger: RolloutEngineLogger;
  private stopped = false;

  constructor(private readonly options: RolloutEngineOptions) {
    this.clock = options.clock ?? systemClock;
    this.evaluator = new GateEvaluator(options.providers);
    this.logger = options.logger ?? createLogger("rollout-engine");
  }

  /**
   * Starts a rollout: sets the first step's weight and schedules evaluations. Idempotent per id:
   * starting the same id with the same target again returns its status.
   * @throws SentraError ALREADY_EXISTS when the id is taken by another target; FAILED_PRECONDITION
   *   when the service already has an active rollout.
   */
  async start(spec: RolloutSpec): Promise<RolloutStatus> {
    this.assertRunning();
    for (const field of ["id", "service", "namespace", "version"] as const) {
      if (typeof spec[field] !== "string" || spec[field].trim() === "") {
        throw SentraError.invalidArgument(field, "must be a non-empty string");
      }
    }
    const sequential = spec.policy.gates.filter((gate) => gate.judge === "sequential").map((gate) => gate.name);
    if (sequential.length > 0) {
      const stable = spec.stableVersion?.trim() ?? "";
      if (stable === "" || stable === spec.version) {
        throw SentraError.invalidArgument(
          "stableVersion",
          `${stable === "" ? "is required" : "must differ from the canary version"}: the sequential gates (${sequential.join(", ")}) compare the canary with the stable version serving beside it; give it, or set judge: threshold on those gates`,
        );
      }
    }
    const existing = this.rollouts.get(spec.id);
    if (existing !== undefined) {
      const same =
        existing.spec.service === spec.service &&
        existing.spec.namespace === spec.namespace &&
        existing.spec.version === spec.version;
      if (same) return this.statusOf(existing);
      throw new SentraError("ALREADY_EXISTS", `rollout ${spec.id} already exists for another target`, {
        field: "id",
      });
    }
    const active = [...this.rollouts.values()].find(
      (rt) => !isTerminal(rt.state) && rt.spec.service === spec.service && rt.spec.namespace === spec.namespace,
    );
    if (active !== undefined) {
      throw new SentraError(
        "FAILED_PRECONDITION",
        `${spec.namespace}/${spec.service} already has an active rollout (${active.spec.id}); promote or abort it first`,
        { details: { activeRollout: active.spec.id } },
      );
    }
    const runtime: Runtime = {
      spec: structuredClone(spec),
      state: createPendingState(this.clock.now()),
      judgeMemory: {},
      timer: undefined,
      queue: Promise.resolve(),
    };
    this.rollouts.set(spec.id, runtime);
    await this.enqueue(runtime, () => this.dispatch(runtime, { type: "start" }));
    this.schedule(runtime);
    return this.statusOf(runtime);
  }

  /** Manual promotion: the next step, or with `full` straight to 100%. */
  async promote(id: string, options: { full?: boolean; actor?: string } = {}): Promise<RolloutStatus> {
    const runtime = this.require(id);
    await this.enqueue(runtime, () => this.dispatch(runtime, { type: "promote", ...options }));
    return this.statusOf(runtime);
  }

  /** Manual abort: roll back to 0% canary and end as `aborted`. */
  async abort(id: string, options: { reason?: string; actor?: string } = {}): Promise<RolloutStatus> {
    const runtime = this.require(id);
    await this.enqueue(runtime, () => this.dispatch(runtime, { type: "abort", ...options }));
    return this.statusOf(runtime);
  }

  /** Evaluates one rollout now, outside its schedule (the schedule continues). */
  async evaluateNow(id: string): Promise<RolloutStatus> {
    const runtime = this.require(id);
    await this.evaluateAndDispatch(runtime);
    return this.statusOf(runtime);
  }

  /** A rollout's spec and state (copies), or undefined. */
  get(id: string): RolloutStatus | undefined {
    const runtime = this.rollouts.get(id);
    return runtime === undefined ? undefined : this.statusOf(runtime);
  }

  /** What the rollout's sequential gates have counted so far (a copy), or undefined. */
  judgeMemoryOf(id: string): JudgeMemory | undefined {
    const runtime = this.rollouts.get(id);
    return runtime === undefined ? undefined : structuredClone(runtime.judgeMemory);
  }

  /** Every rollout the engine holds (copies). */
  list(): RolloutStatus[] {
    return [...this.rollouts.values()].map((runtime) => this.statusOf(runtime));
  }

  /** Drops a finished rollout from memory. @throws FAILED_PRECONDITION while it is still active. */
  forget(id: string): void {
    const runtime = this.require(id);
    if (!isTerminal(runtime.state)) {
      throw new SentraError(
        "FAILED_PRECONDITION",
        `rollout ${id} is ${runtime.state.phase}; only finished rollouts can be forgotten`,
      );
    }
    this.rollouts.delete(id);
  }

  /** The state of every rollout, as plain JSON, for {@link restore} after a restart. */
  snapshot(): RolloutEngineSnapshot {
    return structuredClone({
      version: 1,
      takenAt: this.clock.now().toISOString(),
      rollouts: [...this.rollouts.values()].map((runtime) => ({
        spec: runtime.spec,
        state: runtime.state,
        judgeMemory: runtime.judgeMemory,
      })),
    });
  }

  /**
   * Resumes rollouts from a snapshot: every active rollout re-asserts its current weight (the
   * router call may have been lost in the crash) and evaluations resume; timing (warm-up,
   * telemetry-loss bounds) continues from the recorded timestamps, so downtime counts.
   * @throws SentraError INVALID_ARGUMENT for a malformed snapshot; ALREADY_EXISTS for a known id.
   */
  async restore(snapshot: RolloutEngineSnapshot): Promise<void> {
    this.assertRunning();
    if (!isRecord(snapshot) || snapshot.version !== 1 || !Array.isArray(snapshot.rollouts)) {
      throw SentraError.invalidArgument("snapshot", "expected { version: 1, rollouts: [...] }");
    }
    for (const [index, entry] of snapshot.rollouts.entries()) {
      if (!isRecord(entry) || !isRecord(entry.spec) || typeof entry.spec.id !== "string" || !isRecord(entry.state)) {
        throw SentraError.invalidArgument(`snapshot.rollouts[${index}]`, "expected { spec, state }");
      }
      if (this.rollouts.has(entry.spec.id)) {
        throw new SentraError("ALREADY_EXISTS", `rollout ${entry.spec.id} is already running`, { field: "id" });
      }
    }
    const restored = snapshot.rollouts.map((entry) => {
      const runtime: Runtime = {
        spec: structuredClone(entry.spec),
        state: structuredClone(entry.state),
        judgeMemory: this.restoredJudgeMemory(entry),
        timer: undefined,
        queue: Promise.resolve(),
      };
      this.rollouts.set(runtime.spec.id, runtime);
      return runtime;
    });
    for (const runtime of restored) {
      const event: RolloutEvent = runtime.state.phase === "pending" ? { type: "start" } : { type: "recovered" };
      if (isTerminal(runtime.state)) continue;
      await this.enqueue(runtime, () => this.dispatch(runtime, event));
      this.schedule(runtime);
    }
  }

  /** A snapshot entry's judge memory, well-formed entries only; a gate left out starts its test afresh. */
  private restoredJudgeMemory(entry: RolloutSnapshotEntry): JudgeMemory {
    const { memory, rejected } = readJudgeMemory(entry.judgeMemory);
    if (rejected.length > 0) {
      this.logger.warn(
        { rollout: entry.spec.id, gates: rejected },
        "recovered judge memory is malformed for these gates: their sequential tests start afresh",
      );
    }
    return memory;
  }

  /** Resolves when no evaluation or event is in progress (tests, graceful shutdown). */
  async whenIdle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    await Promise.allSettled([...this.rollouts.values()].map((runtime) => runtime.queue));
  }

  /** Stops scheduling, cancels evaluations in progress and waits for in-flight work. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.shutdown.abort(new Error("rollout engine stopped"));
    for (const runtime of this.rollouts.values()) this.unschedule(runtime);
    await this.whenIdle();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  private schedule(runtime: Runtime): void {
    const { state } = runtime;
    if (this.stopped || runtime.timer !== undefined || isTerminal(state) || state.phase === "pending") return;
    runtime.timer = this.clock.setTimeout(() => {
      runtime.timer = undefined;
      this.track(this.tick(runtime));
    }, runtime.spec.policy.intervalSeconds * 1000);
  }

  private unschedule(runtime: Runtime): void {
    if (runtime.timer === undefined) return;
    this.clock.clearTimeout(runtime.timer);
    runtime.timer = undefined;
  }

  private async tick(runtime: Runtime): Promise<void> {
    if (this.stopped || isTerminal(runtime.state)) return;
    await this.evaluateAndDispatch(runtime);
    this.schedule(runtime);
  }

  private async evaluateAndDispatch(runtime: Runtime): Promise<void> {
    // Evaluate outside the queue so a manual abort is not stuck behind slow telemetry; the state
    // machine ignores a late tick if the phase moved on.
    const event: RolloutEvent = isEvaluating(runtime.state)
      ? await this.evaluate(runtime)
      : { type: "tick", results: [] };
    await this.enqueue(runtime, () => this.dispatch(runtime, event));
  }

  private async evaluate(runtime: Runtime): Promise<RolloutEvent> {
    const { spec } = runtime;
    const timeoutMs = this.options.evaluationTimeoutMs ?? spec.policy.intervalSeconds * 1000;
    const deadline = new AbortController();
    const handle = this.clock.setTimeout(() => deadline.abort(new Error("evaluation deadline")), timeoutMs);
    const signal = AbortSignal.any([deadline.signal, this.shutdown.signal]);
    const timedOut = new Promise<RolloutEvent>((resolve) => {
      const onAbort = (): void => resolve({ type: "telemetryLost", reason: `evaluation exceeded ${timeoutMs} ms` });
      if (signal.aborted) onAbort();
      else signal.addEventListener("abort", onAbort, { once: true });
    });
    const target = {
      service: spec.service,
      version: spec.version,
      namespace: spec.namespace,
      windowSeconds: spec.policy.windowSeconds,
      ...(spec.stableVersion === undefined ? {} : { baselineVersion: spec.stableVersion }),
    };
    const now = this.clock.now();
    const options = {
      countEvidence: !isWarmingUp(runtime.state, now),
      ...(spec.policy.errorBudget === undefined ? {} : { errorBudget: spec.policy.errorBudget }),
    };
    try {
      const evaluation = this.evaluator
        .evaluateRound(spec.policy.gates, target, now, signal, runtime.judgeMemory, options)
        .then((round): RolloutEvent => {
          runtime.judgeMemory = round.memory;
          return { type: "tick", results: round.results };
        });
      return await Promise.race([evaluation, timedOut]);
    } catch (error) {
      return { type: "telemetryLost", reason: `evaluation failed: ${describe(error)}` };
    } finally {
      this.clock.clearTimeout(handle);
    }
  }

  /** Runs one event through the state machine and performs its actions. Call only from the queue. */
  private async dispatch(runtime: Runtime, event: RolloutEvent): Promise<void> {
    const before = runtime.state;
    const { state, actions } = next(before, event, runtime.spec.policy, this.clock.now());
    runtime.state = state;
    const rollout = targetOf(runtime.spec);
    if (state.phase !== before.phase) {
      const record = { rollout, at: this.clock.now().toISOString(), from: before.phase, to: state.phase, state };
      await this.report("transition", () => this.options.sink.transition(record));
    }
    // Record first, then move traffic: the router's answer is itself an event whose decision
    // must come after the decision that asked for it.
    for (const action of actions) await this.record(runtime, action, state);
    for (const action of actions) {
      if (action.type === "setWeight") await this.dispatch(runtime, await this.applyWeight(runtime, action.weight));
    }
    if (isTerminal(runtime.state)) this.unschedule(runtime);
  }

  private async record(runtime: Runtime, action: RolloutAction, state: RolloutState): Promise<void> {
    const rollout = targetOf(runtime.spec);
    switch (action.type) {
      case "recordDecision":
        await this.report("decision", () => this.options.sink.decision({ ...action.decision, rollout, state }));
        return;
      case "emitIncident":
        await this.report("incident", () => this.options.sink.incident({ ...action.incident, rollout }));
        return;
      case "setWeight":
        return;
    }
  }

  /** Sets a weight through the primary router, then the fallback; returns the outcome as an event. */
  private async applyWeight(runtime: Runtime, weight: number): Promise<RolloutEvent> {
    const target = targetOf(runtime.spec);
    try {
      await this.callRouter(this.options.router, target, weight);
      return { type: "routerApplied", weight, via: "primary" };
    } catch (primary) {
      const primaryError = describe(primary);
      const fallbackRouter = this.options.fallbackRouter;
      if (fallbackRouter === undefined) {
        return { type: "routerFailed", weight, error: `primary router: ${primaryError}; no fallback router` };
      }
      try {
        await this.callRouter(fallbackRouter, target, weight);
        return { type: "routerApplied", weight, via: "fallback", primaryError };
      } catch (fallback) {
        return {
          type: "routerFailed",
          weight,
          error: `primary router: ${primaryError}; fallback router: ${describe(fallback)}`,
        };
      }
    }
  }

  private callRouter(router: TrafficRouter, target: RolloutTarget, weight: number): Promise<void> {
    const timeoutMs = this.options.routerTimeoutMs ?? DEFAULT_ROUTER_TIMEOUT_MS;
    return new Promise<void>((resolve, reject) => {
      const handle = this.clock.setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
      const settle = (): void => this.clock.clearTimeout(handle);
      // Promise.resolve().then: a router that throws synchronously is a failure like any other.
      Promise.resolve()
        .then(() => router.setCanaryWeight(target, weight))
        .then(
          () => {
            settle();
            resolve();
          },
          (error: unknown) => {
            settle();
            reject(error);
          },
        );
    });
  }

  private async report(kind: string, send: () => void | Promise<void>): Promise<void> {
    try {
      await send();
    } catch (error) {
      this.logger.warn({ err: error, kind }, "rollout event sink failed; continuing");
    }
  }

  private enqueue(runtime: Runtime, work: () => Promise<void>): Promise<void> {
    const run = runtime.queue.then(work);
    runtime.queue = run.catch((error: unknown) => {
      this.logger.error({ err: error, rollout: runtime.spec.id }, "rollout event failed");
    });
    return run;
  }

  private track(work: Promise<void>): void {
    const tracked = work.catch((error: unknown) => {
      this.logger.error({ err: error }, "rollout evaluation failed");
    });
    this.inFlight.add(tracked);
    void tracked.finally(() => this.inFlight.delete(tracked));
  }

  private require(id: string): Runtime {
    const runtime = this.rollouts.get(id);
    if (runtime === undefined) throw new SentraError("NOT_FOUND", `no rollout ${id}`, { field: "id" });
    return runtime;
  }

  private assertRunning(): void {
    if (this.stopped) throw new SentraError("FAILED_PRECONDITION", "rollout engine is stopped");
  }

  private statusOf(runtime: Runtime): RolloutStatus {
    return structuredClone({ spec: runtime.spec, state: runtime.state });
  }
}

function targetOf(spec: RolloutSpec): RolloutTarget {
  return {
    id: spec.id,
    service: spec.service,
    namespace: spec.namespace,
    version: spec.version,
    ...(spec.stableVersion === undefined ? {} : { stableVersion: spec.stableVersion }),
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
