import type { GateResult } from "./gate-evaluator.js";
import { type RolloutPolicy, stepWeights } from "./rollout-policy.js";

/**
 * Canary weight of the last healthy state, in percent. The stable version stays fully scaled
 * during a rollout and is the only version known to be healthy, so every revert goes to 0% (all
 * traffic on stable) — for canary and blue-green alike.
 */
export const LAST_HEALTHY_WEIGHT = 0;

/** Step-level progress shared by the states that evaluate gates. */
export interface StepProgress {
  /** Index into `stepWeights(policy)`. */
  readonly stepIndex: number;
  /** Canary weight set for this step, in percent. */
  readonly weight: number;
  /** Passing evaluations at this step since it began or since the last breach. */
  readonly passes: number;
  /** Breaching evaluations in a row; reset by a pass (an unknown evaluation leaves it unchanged). */
  readonly consecutiveBreaches: number;
  /** ISO time of the first evaluation without telemetry; null while telemetry flows. */
  readonly telemetryLostSince: string | null;
}

/** Created, no traffic shifted yet. */
export interface PendingState {
  readonly phase: "pending";
  readonly createdAt: string;
}

/** First step's weight is set; evaluations run but only severe breaches and telemetry loss act. */
export interface WarmingUpState extends StepProgress {
  readonly phase: "warmingUp";
  readonly since: string;
  readonly warmupEndsAt: string;
}

/** Evaluating a step: passes advance it, consecutive breaches roll back. */
export interface ProgressingState extends StepProgress {
  readonly phase: "progressing";
  readonly stepStartedAt: string;
}

/**
 * Why a rollout is paused: `unknownData` — a gate with `onUnknown: pause` had no conclusive data;
 * `telemetryLost` — every gate's provider failed for longer than `telemetryLoss.pauseAfterSeconds`.
 */
export type PauseReason = "unknownData" | "telemetryLost";

/** Holding at the current weight; resumes by itself when evaluations are conclusive again. */
export interface PausedState {
  readonly phase: "paused";
  readonly since: string;
  readonly reason: PauseReason;
  readonly detail: string;
  /** Where a revert would go (always {@link LAST_HEALTHY_WEIGHT}). */
  readonly lastHealthyWeight: number;
  /** Canary weight held during the pause, in percent. */
  readonly weight: number;
  /** The state to continue from. */
  readonly resumeTo: WarmingUpState | ProgressingState;
  readonly telemetryLostSince: string | null;
}

/** A manual full promotion is waiting for the router to confirm 100%. */
export interface PromotingState {
  readonly phase: "promoting";
  readonly since: string;
  readonly fromWeight: number;
  readonly weight: 100;
}

/** Terminal: the new version takes 100% of traffic. */
export interface PromotedState {
  readonly phase: "promoted";
  readonly at: string;
  readonly weight: 100;
}

/** What started a rollback. */
export type RollbackCause = "breaches" | "severe" | "evidence" | "telemetryLost" | "routerError" | "abort";

/** Traffic is being moved back to the last healthy state; retried every interval until confirmed. */
export interface RollingBackState {
  readonly phase: "rollingBack";
  readonly since: string;
  readonly cause: RollbackCause;
  readonly reason: string;
  readonly actor: string | null;
  readonly fromWeight: number;
  readonly targetWeight: number;
  /** Failed attempts so far (each tries the primary, then the fallback router). */
  readonly attempts: number;
  readonly lastError: string | null;
}

/** Terminal: rolled back automatically; all traffic on stable. */
export interface RolledBackState {
  readonly phase: "rolledBack";
  readonly at: string;
  readonly cause: Exclude<RollbackCause, "abort">;
  readonly reason: string;
  readonly weight: number;
}

/** Terminal: aborted by a person; all traffic on stable. */
export interface AbortedState {
  readonly phase: "aborted";
  readonly at: string;
  readonly reason: string;
  readonly actor: string | null;
  readonly weight: number;
}

/** Terminal: the rollback could not be confirmed after `rollbackMaxAttempts`; needs a person. */
export interface FailedState {
  readonly phase: "failed";
  readonly at: string;
  readonly reason: string;
  /** Canary weight last confirmed, or null when unknown. */
  readonly lastKnownWeight: number | null;
}

/** The state of one rollout: a discriminated union on `phase`, plain JSON (times are ISO strings). */
export type RolloutState =
  | PendingState
  | WarmingUpState
  | ProgressingState
  | PausedState
  | PromotingState
  | PromotedState
  | RollingBackState
  | RolledBackState
  | AbortedState
  | FailedState;

/** Name of a state. */
export type RolloutPhase = RolloutState["phase"];

/** Phases after which nothing happens any more. */
export const TERMINAL_PHASES: readonly RolloutPhase[] = ["promoted", "rolledBack", "aborted", "failed"];

/** Inputs of the state machine. */
export type RolloutEvent =
  /** Begin: set the first step's weight and warm up. */
  | { readonly type: "start" }
  /** One evaluation of every gate. */
  | { readonly type: "tick"; readonly results: readonly GateResult[] }
  /** The evaluation itself could not run (e.g. it timed out); same as a tick where every provider failed. */
  | { readonly type: "telemetryLost"; readonly reason: string; readonly results?: readonly GateResult[] }
  /** Manual: advance one step, or with `full` go straight to 100%. */
  | { readonly type: "promote"; readonly full?: boolean; readonly actor?: string }
  /** Manual: roll back to the last healthy state and end as `aborted`. */
  | { readonly type: "abort"; readonly reason?: string; readonly actor?: string }
  /** The router confirmed a weight (through the fallback router when the primary failed). */
  | {
      readonly type: "routerApplied";
      readonly weight: number;
      readonly via: "primary" | "fallback";
      readonly primaryError?: string;
    }
  /** Both routers failed to set a weight. */
  | { readonly type: "routerFailed"; readonly weight: number; readonly error: string }
  /** The state was restored from a snapshot after a restart: re-assert the traffic split. */
  | { readonly type: "recovered" };

/** Kinds of decision records. */
export type DecisionKind =
  | "start"
  | "hold"
  | "pass"
  | "breach"
  | "pause"
  | "resume"
  | "advance"
  | "promote"
  | "rollback"
  | "rollbackComplete"
  | "rollbackRetry"
  | "weightApplied"
  | "failed"
  | "recovered"
  | "ignored";

/** One decision, with the gate values behind it. */
export interface Decision {
  readonly at: string;
  readonly kind: DecisionKind;
  readonly from: RolloutPhase;
  readonly to: RolloutPhase;
  /** Step after the decision; null outside steps. */
  readonly stepIndex: number | null;
  /** Canary weight after the decision, in percent; null when unknown. */
  readonly weight: number | null;
  readonly reason: string;
  /** The evaluation behind the decision (empty for manual and router decisions). */
  readonly gates: readonly GateResult[];
  readonly actor?: string;
  /** Which router applied the weight, for router decisions. */
  readonly via?: "primary" | "fallback";
}

/** Something people should look at. */
export interface Incident {
  readonly at: string;
  readonly severity: "warning" | "critical";
  readonly kind: "rollback" | "telemetryLost" | "routerFailure" | "rollbackFailed";
  readonly message: string;
  readonly gates: readonly GateResult[];
}

/** Side effects the engine performs, in order. */
export type RolloutAction =
  | { readonly type: "setWeight"; readonly weight: number; readonly reason: string }
  | { readonly type: "recordDecision"; readonly decision: Decision }
  | { readonly type: "emitIncident"; readonly incident: Incident };

/** The new state and the actions to perform. */
export interface Transition {
  readonly state: RolloutState;
  readonly actions: readonly RolloutAction[];
}

/** The verdict of one evaluation, after applying the policy's unknown rules. */
export type EvaluationVerdict =
  | { readonly kind: "severe"; readonly detail: string }
  /** A sequential gate's test found the canary worse than the baseline: conclusive, act at once. */
  | { readonly kind: "rejected"; readonly detail: string }
  | { readonly kind: "telemetryLost"; readonly detail: string }
  | { readonly kind: "breach"; readonly detail: string }
  | { readonly kind: "pause"; readonly detail: string }
  | { readonly kind: "pass"; readonly detail: string }
  | { readonly kind: "hold"; readonly detail: string };

/** A new rollout, before `start`. */
export function createPendingState(now: Date): PendingState {
  return { phase: "pending", createdAt: now.toISOString() };
}

/** True for promoted, rolledBack, aborted and failed. */
export function isTerminal(state: RolloutState): boolean {
  return TERMINAL_PHASES.includes(state.phase);
}

/** True for the phases in which gates are evaluated (warmingUp, progressing, paused). */
export function isEvaluating(state: RolloutState): state is WarmingUpState | ProgressingState | PausedState {
  return state.phase === "warmingUp" || state.phase === "progressing" || state.phase === "paused";
}

/** True while the rollout's warm-up runs (also when paused during it): sequential evidence is not counted yet. */
export function isWarmingUp(state: RolloutState, now: Date): boolean {
  const active = state.phase === "paused" ? state.resumeTo : state;
  return active.phase === "warmingUp" && now.getTime() < Date.parse(active.warmupEndsAt);
}

/** The canary weight a state stands for, in percent; null when unknown. */
export function weightOf(state: RolloutState): number | null {
  switch (state.phase) {
    case "pending":
      return null;
    case "warmingUp":
    case "progressing":
    case "paused":
    case "promoting":
    case "promoted":
    case "rolledBack":
    case "aborted":
      return state.weight;
    case "rollingBack":
      return state.fromWeight;
    case "failed":
      return state.lastKnownWeight;
  }
}

/** The step a state is at; null outside steps. */
export function stepIndexOf(state: RolloutState): number | null {
  switch (state.phase) {
    case "warmingUp":
    case "progressing":
      return state.stepIndex;
    case "paused":
      return state.resumeTo.stepIndex;
    default:
      return null;
  }
}

/**
 * Applies the policy to one evaluation:
 * 1. any gate beyond its severe threshold → `severe`; a sequential gate whose evidence is
 *    conclusive (`conclusive`) → `rejected` — both roll back at once;
 * 2. no results, or every gate unknown because its provider failed → `telemetryLost`;
 * 3. any breach, or an unknown gate whose `onUnknown` is `breach` → `breach`;
 * 4. an unknown gate whose `onUnknown` is `pause` → `pause`;
 * 5. at least one pass (unknown gates with `ignore` left out) → `pass`;
 * 6. otherwise (every gate unknown and ignored) → `hold`: unknown never counts as a pass.
 */
export function classifyEvaluation(results: readonly GateResult[], policy: RolloutPolicy): EvaluationVerdict {
  const reasons = (list: readonly GateResult[]): string => list.map((result) => result.reason).join("; ");
  const severe = results.filter((result) => result.outcome === "breach" && result.severe);
  if (severe.length > 0) return { kind: "severe", detail: reasons(severe) };
  const rejected = results.filter((result) => result.outcome === "breach" && result.conclusive === true);
  if (rejected.length > 0) return { kind: "rejected", detail: reasons(rejected) };
  if (results.every((result) => result.outcome === "unknown" && result.unknownCause === "providerError")) {
    return { kind: "telemetryLost", detail: results.length === 0 ? "no gate results" : reasons(results) };
  }
  // A sequential gate above its threshold without conclusive evidence always holds: breaching
  // would roll back on the noise the test exists to see through, ignoring could promote it.
  const onUnknown = (result: GateResult) =>
    result.unknownCause === "notConclusive"
      ? "pause"
      : (policy.gates.find((gate) => gate.name === result.gate)?.onUnknown ?? policy.onUnknown);
  const unknown = results.filter((result) => result.outcome === "unknown");
  const breaches = results.filter(
    (result) => result.outcome === "breach" || (result.outcome === "unknown" && onUnknown(result) === "breach"),
  );
  if (breaches.length > 0) return { kind: "breach", detail: reasons(breaches) };
  const pausing = unknown.filter((result) => onUnknown(result) === "pause");
  if (pausing.length > 0) return { kind: "pause", detail: reasons(pausing) };
  const passes = results.filter((result) => result.outcome === "pass");
  const ignored = unknown.length > 0 ? ` (ignored: ${reasons(unknown)})` : "";
  if (passes.length > 0) return { kind: "pass", detail: `${reasons(passes)}${ignored}` };
  return { kind: "hold", detail: `no conclusive gate${ignored}` };
}

type ActiveState = WarmingUpState | ProgressingState;

/**
 * The rollout state machine: a pure function of (state, event, policy, now) to the next state and
 * the actions to perform. No clock, no I/O — the engine supplies time and performs the actions.
 */
export function next(state: RolloutState, event: RolloutEvent, policy: RolloutPolicy, now: Date): Transition {
  return new TransitionBuilder(state, policy, now).apply(event);
}

class TransitionBuilder {
  private readonly at: string;
  private readonly weights: readonly number[];
  private actions: RolloutAction[] = [];
  private gates: readonly GateResult[] = [];

  constructor(
    private readonly state: RolloutState,
    private readonly policy: RolloutPolicy,
    private readonly now: Date,
  ) {
    this.at = now.toISOString();
    this.weights = stepWeights(policy);
  }

  apply(event: RolloutEvent): Transition {
    switch (event.type) {
      case "start":
        return this.start();
      case "tick":
        this.gates = event.results;
        return this.evaluation(classifyEvaluation(event.results, this.policy));
      case "telemetryLost":
        this.gates = event.results ?? [];
        return this.evaluation({ kind: "telemetryLost", detail: event.reason });
      case "promote":
        return this.promote(event.full ?? false, event.actor);
      case "abort":
        return this.abort(event.reason, event.actor);
      case "routerApplied":
        return this.routerApplied(event.weight, event.via, event.primaryError);
      case "routerFailed":
        return this.routerFailed(event.weight, event.error);
      case "recovered":
        return this.recovered();
    }
  }

  private start(): Transition {
    if (this.state.phase !== "pending") return this.ignored(`cannot start from ${this.state.phase}`);
    const weight = this.weightAt(0);
    const warmupEndsAt = new Date(this.now.getTime() + this.policy.warmupSeconds * 1000).toISOString();
    const next: WarmingUpState = {
      phase: "warmingUp",
      since: this.at,
      warmupEndsAt,
      stepIndex: 0,
      weight,
      passes: 0,
      consecutiveBreaches: 0,
      telemetryLostSince: null,
    };
    this.setWeight(weight, "first step");
    this.decide(
      "start",
      next,
      `${this.policy.strategy} rollout started at ${weight}%; warming up until ${warmupEndsAt}`,
    );
    return this.done(next);
  }

  private evaluation(verdict: EvaluationVerdict): Transition {
    const state = this.state;
    if (state.phase === "rollingBack") return this.retryRollback(state);
    if (!isEvaluating(state)) return this.done(state);

    // Severe breaches act in every evaluating phase, warm-up and pause included.
    if (verdict.kind === "severe") return this.rollback(state, "severe", `severe breach: ${verdict.detail}`);
    // Anytime-valid evidence needs no confirming breaches: waiting would only burn error budget.
    if (verdict.kind === "rejected") return this.rollback(state, "evidence", `conclusive evidence: ${verdict.detail}`);
    if (verdict.kind === "telemetryLost") return this.telemetryLost(state, verdict.detail);

    let active: ActiveState;
    if (state.phase === "paused") {
      if (verdict.kind === "pause") {
        const next: PausedState = { ...state, reason: "unknownData", detail: verdict.detail, telemetryLostSince: null };
        this.decide("hold", next, `still paused, no conclusive data: ${verdict.detail}`);
        return this.done(next);
      }
      active = { ...state.resumeTo, telemetryLostSince: null };
      this.decide("resume", active, `evaluations conclusive again after ${state.reason} pause`);
    } else {
      active = { ...state, telemetryLostSince: null };
    }

    if (active.phase === "warmingUp") {
      if (this.now.getTime() < Date.parse(active.warmupEndsAt)) {
        this.decide("hold", active, `warming up until ${active.warmupEndsAt}; ${verdict.kind}: ${verdict.detail}`);
        return this.done(active);
      }
      active = { ...active, phase: "progressing", stepStartedAt: this.at, passes: 0, consecutiveBreaches: 0 };
    }
    return this.applyVerdict(active, verdict);
  }

  private applyVerdict(state: ProgressingState, verdict: EvaluationVerdict): Transition {
    const { passesToPromote, consecutiveBreachesToRollback } = this.policy;
    switch (verdict.kind) {
      case "breach": {
        const breaches = state.consecutiveBreaches + 1;
        if (breaches >= consecutiveBreachesToRollback) {
          return this.rollback(state, "breaches", `${breaches} consecutive breaches: ${verdict.detail}`);
        }
        const next: ProgressingState = { ...state, consecutiveBreaches: breaches, passes: 0 };
        this.decide("breach", next, `breach ${breaches}/${consecutiveBreachesToRollback}: ${verdict.detail}`);
        return this.done(next);
      }
      case "pause": {
        const next: PausedState = {
          phase: "paused",
          since: this.at,
          reason: "unknownData",
          detail: verdict.detail,
          lastHealthyWeight: LAST_HEALTHY_WEIGHT,
          weight: state.weight,
          resumeTo: state,
          telemetryLostSince: null,
        };
        this.decide("pause", next, `paused at ${state.weight}%, no conclusive data: ${verdict.detail}`);
        return this.done(next);
      }
      case "pass": {
        const passes = state.passes + 1;
        const counted: ProgressingState = { ...state, passes, consecutiveBreaches: 0 };
        if (passes >= passesToPromote)
          return this.advance(counted, `${passes}/${passesToPromote} passes: ${verdict.detail}`);
        this.decide("pass", counted, `pass ${passes}/${passesToPromote}: ${verdict.detail}`);
        return this.done(counted);
      }
      case "hold": {
        this.decide("hold", state, verdict.detail);
        return this.done(state);
      }
      case "severe":
      case "rejected":
      case "telemetryLost":
        // Handled before a verdict reaches a step.
        return this.done(state);
    }
  }

  /** Moves to the next step, or promotes after the last one. Never called on missing data. */
  private advance(state: ProgressingState, reason: string, actor?: string): Transition {
    const nextIndex = state.stepIndex + 1;
    if (nextIndex >= this.weights.length) return this.promoteTo100(state, reason, actor);
    const weight = this.weightAt(nextIndex);
    const next: ProgressingState = {
      phase: "progressing",
      stepIndex: nextIndex,
      weight,
      passes: 0,
      consecutiveBreaches: 0,
      stepStartedAt: this.at,
      telemetryLostSince: null,
    };
    this.setWeight(weight, `step ${nextIndex + 1}/${this.weights.length}`);
    this.decide("advance", next, `step ${nextIndex + 1}/${this.weights.length} at ${weight}% after ${reason}`, actor);
    return this.done(next);
  }

  private promoteTo100(state: ActiveState | PausedState, reason: string, actor?: string): Transition {
    if (state.weight === 100) {
      const next: PromotedState = { phase: "promoted", at: this.at, weight: 100 };
      this.decide("promote", next, `promoted at 100% after ${reason}`, actor);
      return this.done(next);
    }
    const next: PromotingState = { phase: "promoting", since: this.at, fromWeight: state.weight, weight: 100 };
    this.setWeight(100, "promotion");
    this.decide("promote", next, `switching to 100% after ${reason}`, actor);
    return this.done(next);
  }

  private telemetryLost(state: WarmingUpState | ProgressingState | PausedState, detail: string): Transition {
    const { pauseAfterSeconds, revertAfterSeconds } = this.policy.telemetryLoss;
    const since = state.telemetryLostSince ?? this.at;
    const lostSeconds = (this.now.getTime() - Date.parse(since)) / 1000;
    if (lostSeconds >= revertAfterSeconds) {
      return this.rollback(
        state,
        "telemetryLost",
        `telemetry lost for ${lostSeconds}s (bound ${revertAfterSeconds}s): reverting to the last healthy state (${LAST_HEALTHY_WEIGHT}% canary): ${detail}`,
      );
    }
    if (lostSeconds >= pauseAfterSeconds) {
      if (state.phase === "paused" && state.reason === "telemetryLost") {
        const next: PausedState = { ...state, detail };
        this.decide(
          "hold",
          next,
          `telemetry lost for ${lostSeconds}s; reverting after ${revertAfterSeconds}s: ${detail}`,
        );
        return this.done(next);
      }
      const next: PausedState = {
        phase: "paused",
        since: this.at,
        reason: "telemetryLost",
        detail,
        lastHealthyWeight: LAST_HEALTHY_WEIGHT,
        weight: state.weight,
        resumeTo: state.phase === "paused" ? state.resumeTo : { ...state, telemetryLostSince: null },
        telemetryLostSince: since,
      };
      const message = `telemetry lost for ${lostSeconds}s: paused at ${state.weight}%; reverting to ${LAST_HEALTHY_WEIGHT}% if it is still lost after ${revertAfterSeconds}s`;
      this.decide("pause", next, `${message}: ${detail}`);
      this.incident("warning", "telemetryLost", `${message}: ${detail}`);
      return this.done(next);
    }
    const next = { ...state, telemetryLostSince: since };
    this.decide("hold", next, `telemetry lost for ${lostSeconds}s; pausing after ${pauseAfterSeconds}s: ${detail}`);
    return this.done(next);
  }

  private rollback(
    state: WarmingUpState | ProgressingState | PausedState | PromotingState,
    cause: RollbackCause,
    reason: string,
    actor?: string,
  ): Transition {
    const next: RollingBackState = {
      phase: "rollingBack",
      since: this.at,
      cause,
      reason,
      actor: actor ?? null,
      fromWeight: state.weight,
      targetWeight: LAST_HEALTHY_WEIGHT,
      attempts: 0,
      lastError: null,
    };
    this.setWeight(LAST_HEALTHY_WEIGHT, `rollback (${cause})`);
    this.decide("rollback", next, `rolling back from ${state.weight}% to ${LAST_HEALTHY_WEIGHT}%: ${reason}`, actor);
    if (cause !== "abort") this.incident("critical", "rollback", `rolling back from ${state.weight}%: ${reason}`);
    return this.done(next);
  }

  private retryRollback(state: RollingBackState): Transition {
    // The first attempt was made on entering rollingBack; later ticks retry only after a failure.
    if (state.attempts > 0) {
      this.setWeight(state.targetWeight, `rollback retry ${state.attempts + 1}/${this.policy.rollbackMaxAttempts}`);
    }
    return this.done(state);
  }

  private promote(full: boolean, actor?: string): Transition {
    const state = this.state;
    const who = actor === undefined ? "manual promotion" : `manual promotion by ${actor}`;
    if (!isEvaluating(state)) return this.ignored(`cannot promote from ${state.phase}`, actor);
    const position = state.phase === "paused" ? state.resumeTo : state;
    if (full || position.stepIndex + 1 >= this.weights.length) {
      return this.promoteTo100(state, full ? `${who} (full)` : who, actor);
    }
    const current: ProgressingState = {
      phase: "progressing",
      stepIndex: position.stepIndex,
      weight: position.weight,
      passes: position.passes,
      consecutiveBreaches: position.consecutiveBreaches,
      stepStartedAt: this.at,
      telemetryLostSince: null,
    };
    return this.advance(current, who, actor);
  }

  private abort(reason: string | undefined, actor?: string): Transition {
    const state = this.state;
    const why = reason ?? (actor === undefined ? "aborted" : `aborted by ${actor}`);
    if (state.phase === "pending") {
      const next: AbortedState = { phase: "aborted", at: this.at, reason: why, actor: actor ?? null, weight: 0 };
      this.decide("rollback", next, `aborted before any traffic moved: ${why}`, actor);
      return this.done(next);
    }
    if (isEvaluating(state) || state.phase === "promoting") return this.rollback(state, "abort", why, actor);
    return this.ignored(`cannot abort from ${state.phase}`, actor);
  }

  private routerApplied(weight: number, via: "primary" | "fallback", primaryError?: string): Transition {
    const state = this.state;
    const how =
      via === "fallback"
        ? `via the fallback router (primary failed: ${primaryError ?? "unknown error"})`
        : "via the primary router";
    if (via === "fallback") {
      this.incident(
        "warning",
        "routerFailure",
        `primary router failed to set ${weight}%; fallback router used: ${primaryError ?? ""}`,
      );
    }
    if (state.phase === "rollingBack" && weight === state.targetWeight) {
      const next: RolledBackState | AbortedState =
        state.cause === "abort"
          ? { phase: "aborted", at: this.at, reason: state.reason, actor: state.actor, weight }
          : { phase: "rolledBack", at: this.at, cause: state.cause, reason: state.reason, weight };
      this.decide("rollbackComplete", next, `traffic back to ${weight}% canary ${how}`, undefined, via);
      return this.done(next);
    }
    if (state.phase === "promoting" && weight === 100) {
      const next: PromotedState = { phase: "promoted", at: this.at, weight: 100 };
      this.decide("promote", next, `promoted: 100% applied ${how}`, undefined, via);
      return this.done(next);
    }
    if (isEvaluating(state) && weight === state.weight) {
      this.decide("weightApplied", state, `${weight}% applied ${how}`, undefined, via);
    }
    return this.done(state);
  }

  private routerFailed(weight: number, error: string): Transition {
    const state = this.state;
    if (state.phase === "rollingBack") {
      const attempts = state.attempts + 1;
      const max = this.policy.rollbackMaxAttempts;
      if (attempts >= max) {
        const next: FailedState = {
          phase: "failed",
          at: this.at,
          reason: `rollback to ${state.targetWeight}% failed ${attempts} times (${error}); manual intervention required`,
          lastKnownWeight: null,
        };
        this.decide("failed", next, next.reason);
        this.incident("critical", "rollbackFailed", next.reason);
        return this.done(next);
      }
      const next: RollingBackState = { ...state, attempts, lastError: error };
      this.decide(
        "rollbackRetry",
        next,
        `rollback attempt ${attempts}/${max} failed, retrying next interval: ${error}`,
      );
      if (attempts === 1) {
        this.incident(
          "critical",
          "routerFailure",
          `both routers failed to roll back to ${state.targetWeight}%: ${error}`,
        );
      }
      return this.done(next);
    }
    if (isEvaluating(state) || state.phase === "promoting") {
      // The split is no longer known; the only safe direction is back to stable.
      return this.rollback(state, "routerError", `could not set ${weight}%: ${error}`);
    }
    return this.done(state);
  }

  private recovered(): Transition {
    const state = this.state;
    const weight = state.phase === "rollingBack" ? state.targetWeight : weightOf(state);
    if (isTerminal(state) || state.phase === "pending" || weight === null) return this.done(state);
    this.setWeight(weight, "re-assert after restart");
    this.decide("recovered", state, `restored from snapshot in ${state.phase}; re-applying ${weight}%`);
    return this.done(state);
  }

  private ignored(reason: string, actor?: string): Transition {
    this.decide("ignored", this.state, reason, actor);
    return this.done(this.state);
  }

  private weightAt(index: number): number {
    const weight = this.weights[index];
    if (weight === undefined) throw new RangeError(`step ${index} does not exist`);
    return weight;
  }

  private setWeight(weight: number, reason: string): void {
    this.actions.push({ type: "setWeight", weight, reason });
  }

  private decide(
    kind: DecisionKind,
    to: RolloutState,
    reason: string,
    actor?: string,
    via?: "primary" | "fallback",
  ): void {
    const decision: Decision = {
      at: this.at,
      kind,
      from: this.state.phase,
      to: to.phase,
      stepIndex: stepIndexOf(to),
      weight: weightOf(to),
      reason,
      gates: this.gates,
      ...(actor === undefined ? {} : { actor }),
      ...(via === undefined ? {} : { via }),
    };
    this.actions.push({ type: "recordDecision", decision });
  }

  private incident(severity: Incident["severity"], kind: Incident["kind"], message: string): void {
    this.actions.push({ type: "emitIncident", incident: { at: this.at, severity, kind, message, gates: this.gates } });
  }

  private done(state: RolloutState): Transition {
    const actions = this.actions;
    this.actions = [];
    return { state, actions };
  }
}
