import { RolloutWaveStatus } from "@sentra/proto";
import { FAILED_END_PHASES, isTerminalPhase, type PhaseName } from "./rollout-phases.js";

/**
 * Where the coordinator is with a wave (column `rollout_waves.dispatch`). The satellite's view
 * of the same wave is its phase; the two together give the wave's status.
 * - `waiting` → `starting` (StartRollout sent, retried until the satellite answers) → `started`
 * - `started` → `aborting` (AbortRollout sent, after a user abort or another wave's failure)
 * - `waiting` → `halted` (never started, because an earlier wave failed or the rollout was aborted)
 * - `starting` → `start_failed` (refused, or not accepted within the dispatch timeout)
 * - `started` → `lost` (its satellite no longer holds the rollout)
 * - `started` (promoted) → `reverting` → `reverted` | `revert_failed`
 */
export type WaveDispatch =
  | "waiting"
  | "starting"
  | "started"
  | "aborting"
  | "halted"
  | "start_failed"
  | "lost"
  | "reverting"
  | "reverted"
  | "revert_failed";

/** The dispatch states of a reverse rollout (`role = 'revert'`). */
export type RevertDispatch = "starting" | "started" | "start_failed";

export const WAVE_DISPATCHES: readonly WaveDispatch[] = [
  "waiting",
  "starting",
  "started",
  "aborting",
  "halted",
  "start_failed",
  "lost",
  "reverting",
  "reverted",
  "revert_failed",
];

/** A reverse rollout as the plan sees it. */
export interface RevertView {
  readonly dispatch: RevertDispatch;
  readonly attemptedAtMs: number | null;
  readonly phase: PhaseName;
  readonly canaryWeight: number;
}

/** A wave as the plan sees it. */
export interface WaveView {
  readonly index: number;
  readonly satelliteId: string;
  readonly dispatch: WaveDispatch;
  /** When the wave entered its dispatch state. */
  readonly dispatchSinceMs: number;
  /** Last satellite call made for it (start, abort or revert); null before the first. */
  readonly attemptedAtMs: number | null;
  /** The satellite's phase, as last reported (PENDING until the first report). */
  readonly phase: PhaseName;
  /** True once any report (event or gRPC answer) about it was recorded. */
  readonly reported: boolean;
  readonly canaryWeight: number;
  /** Why it is where it is (a dispatch error, the satellite's message). */
  readonly message: string;
  readonly revert: RevertView | null;
}

/** A multi-cluster rollout as the plan sees it. */
export interface RolloutView {
  readonly origin: "coordinator" | "satellite";
  readonly phase: PhaseName;
  readonly rollbackCompletedWaves: boolean;
  /** Set once a person asked to abort. */
  readonly abort: { readonly rollbackCompletedWaves: boolean } | null;
  readonly waves: readonly WaveView[];
}

/** A wave whose dispatch state the plan moves while it reasons. */
type WorkingWave = { -readonly [K in keyof WaveView]: WaveView[K] };

export interface PlanTiming {
  readonly nowMs: number;
  /** A wave (or revert) the satellite has not accepted within this long fails. */
  readonly dispatchTimeoutMs: number;
  /** Least time between two start (or revert) attempts of one wave. */
  readonly retryIntervalMs: number;
  /** Least time between two aborts of a wave that has not ended yet. */
  readonly abortResendMs: number;
}

/** A satellite call the orchestrator must make. */
export interface WaveCommand {
  readonly kind: "start" | "abort" | "revert";
  readonly index: number;
}

/** A dispatch state the orchestrator must record. */
export interface WaveUpdate {
  readonly index: number;
  readonly dispatch: WaveDispatch;
  readonly message: string;
}

export interface WavePlan {
  readonly phase: PhaseName;
  readonly message: string;
  readonly currentWave: number;
  readonly updates: readonly WaveUpdate[];
  readonly commands: readonly WaveCommand[];
}

/**
 * The wave state machine: given the recorded state, what the rollout's phase is and what to do
 * next. Pure, so it is driven the same way by events, by gRPC answers, by the periodic reconcile
 * and after a coordinator restart; every command it returns is idempotent on the satellite.
 *
 * Waves run in order: wave N starts once wave N-1 is PROMOTED. A wave that ends ROLLED_BACK,
 * ABORTED or FAILED (or cannot be started) stops the rollout: later waves are halted, a wave still
 * running is aborted and — when asked — promoted waves are reverted. A user abort stops it the
 * same way.
 */
export function planWaves(view: RolloutView, timing: PlanTiming): WavePlan {
  if (view.origin === "satellite") {
    // Recorded only: the rollout is its one wave.
    return { phase: view.waves[0]?.phase ?? view.phase, message: "", currentWave: 0, updates: [], commands: [] };
  }
  const waves: WorkingWave[] = view.waves.map((wave) => ({ ...wave }));
  const updates: WaveUpdate[] = [];
  const commands: WaveCommand[] = [];
  const set = (wave: WorkingWave, dispatch: WaveDispatch, message: string): void => {
    if (wave.dispatch === dispatch) return;
    wave.dispatch = dispatch;
    wave.message = message;
    updates.push({ index: wave.index, dispatch, message });
  };
  const due = (attemptedAtMs: number | null, intervalMs: number): boolean =>
    attemptedAtMs === null || timing.nowMs - attemptedAtMs >= intervalMs;
  const timedOut = (wave: WaveView): boolean => timing.nowMs - wave.dispatchSinceMs >= timing.dispatchTimeoutMs;
  const seconds = Math.round(timing.dispatchTimeoutMs / 1000);

  // A start the satellite confirmed through a report, or one it never accepted in time.
  for (const wave of waves) {
    if (wave.dispatch !== "starting") continue;
    if (wave.reported) set(wave, "started", "");
    else if (timedOut(wave))
      set(
        wave,
        "start_failed",
        `not accepted by ${wave.satelliteId} within ${seconds} s${wave.message ? ` (${wave.message})` : ""}`,
      );
  }

  const running = (wave: WaveView): boolean => wave.dispatch === "started" || wave.dispatch === "aborting";
  const endedBadly = (wave: WaveView): boolean =>
    wave.dispatch === "start_failed" ||
    wave.dispatch === "lost" ||
    (running(wave) && FAILED_END_PHASES.includes(wave.phase));
  const failed = waves.find(endedBadly);

  if (!failed && !view.abort) return progress(waves, commands, updates, due, timing);

  const revertWanted = view.abort ? view.abort.rollbackCompletedWaves : view.rollbackCompletedWaves;
  const cause = failed
    ? `wave ${failed.index + 1} (${failed.satelliteId}) ${howItEnded(failed)}${failed.message ? ` (${failed.message})` : ""}`
    : "aborted";
  if (view.abort && !failed && !revertWanted && waves.every((wave) => running(wave) && wave.phase === "PROMOTED")) {
    return {
      phase: "PROMOTED",
      message: `every wave was promoted before the abort took effect`,
      currentWave: waves.length - 1,
      updates,
      commands,
    };
  }
  for (const wave of waves) {
    switch (wave.dispatch) {
      case "waiting":
        set(wave, "halted", `halted: ${cause}`);
        break;
      case "starting":
        // The start may have reached the satellite: abort it there (NOT_FOUND means it never did).
        if (due(wave.attemptedAtMs, timing.retryIntervalMs)) commands.push({ kind: "abort", index: wave.index });
        break;
      case "started":
      case "aborting":
        if (wave.phase === "PROMOTED") {
          if (revertWanted) {
            set(wave, "reverting", `reverting: ${cause}`);
            commands.push({ kind: "revert", index: wave.index });
          }
        } else if (!isTerminalPhase(wave.phase)) {
          if (wave.dispatch === "started") {
            set(wave, "aborting", `aborting: ${cause}`);
            commands.push({ kind: "abort", index: wave.index });
          } else if (due(wave.attemptedAtMs, timing.abortResendMs)) {
            commands.push({ kind: "abort", index: wave.index });
          }
        }
        break;
      case "reverting":
        planRevert(wave, set, commands, due, timedOut, timing, seconds);
        break;
      case "halted":
      case "start_failed":
      case "lost":
      case "reverted":
      case "revert_failed":
        break;
      default: {
        const unreachable: never = wave.dispatch;
        throw new Error(`unknown wave dispatch ${String(unreachable)}`);
      }
    }
  }

  const inFlight = waves.some(
    (wave) =>
      wave.dispatch === "starting" || wave.dispatch === "reverting" || (running(wave) && !isTerminalPhase(wave.phase)),
  );
  const needsPerson = waves.some(
    (wave) =>
      wave.dispatch === "start_failed" ||
      wave.dispatch === "lost" ||
      wave.dispatch === "revert_failed" ||
      (running(wave) && wave.phase === "FAILED"),
  );
  const phase: PhaseName = inFlight ? "ROLLING_BACK" : needsPerson ? "FAILED" : view.abort ? "ABORTED" : "ROLLED_BACK";
  const halted = waves.filter((wave) => wave.dispatch === "halted").length;
  const reverted = waves.filter((wave) => wave.dispatch === "reverted").length;
  const reverting = waves.filter((wave) => wave.dispatch === "reverting").length;
  const leftPromoted = waves.filter((wave) => running(wave) && wave.phase === "PROMOTED").length;
  const parts = [cause];
  if (halted > 0) parts.push(`${halted} wave(s) halted`);
  if (reverting > 0) parts.push(`${reverting} promoted wave(s) reverting`);
  if (reverted > 0) parts.push(`${reverted} promoted wave(s) reverted`);
  if (leftPromoted > 0) parts.push(`${leftPromoted} promoted wave(s) left promoted`);
  if (needsPerson && !inFlight) parts.push("needs a person: see the waves' messages");
  return {
    phase,
    message: parts.join("; "),
    currentWave: failed?.index ?? lastStarted(waves),
    updates,
    commands,
  };
}

function progress(
  waves: WaveView[],
  commands: WaveCommand[],
  updates: WaveUpdate[],
  due: (attemptedAtMs: number | null, intervalMs: number) => boolean,
  timing: PlanTiming,
): WavePlan {
  const current = waves.find((wave) => !(wave.dispatch === "started" && wave.phase === "PROMOTED"));
  if (!current) {
    return {
      phase: "PROMOTED",
      message: `all ${waves.length} wave(s) promoted`,
      currentWave: waves.length - 1,
      updates,
      commands,
    };
  }
  const label = `wave ${current.index + 1}/${waves.length} (${current.satelliteId})`;
  if (current.dispatch === "waiting" || current.dispatch === "starting") {
    if (current.dispatch === "waiting" || due(current.attemptedAtMs, timing.retryIntervalMs)) {
      commands.push({ kind: "start", index: current.index });
    }
    return {
      phase: current.index === 0 ? "PENDING" : "PROGRESSING",
      message: `${label} starting${current.message ? `: ${current.message}` : ""}`,
      currentWave: current.index,
      updates,
      commands,
    };
  }
  const phase: PhaseName =
    current.phase === "PAUSED" ? "PAUSED" : current.phase === "ROLLING_BACK" ? "ROLLING_BACK" : "PROGRESSING";
  return {
    phase,
    message: `${label} ${current.phase.toLowerCase().replace("_", " ")}`,
    currentWave: current.index,
    updates,
    commands,
  };
}

function planRevert(
  wave: WorkingWave,
  set: (wave: WorkingWave, dispatch: WaveDispatch, message: string) => void,
  commands: WaveCommand[],
  due: (attemptedAtMs: number | null, intervalMs: number) => boolean,
  timedOut: (wave: WaveView) => boolean,
  timing: PlanTiming,
  seconds: number,
): void {
  if (wave.phase === "ABORTED" || wave.phase === "ROLLED_BACK") {
    set(wave, "reverted", "reverted: its satellite aborted the promoted rollout, traffic is on the stable version");
    return;
  }
  const revert = wave.revert;
  if (revert === null || revert.dispatch === "starting") {
    if (timedOut(wave)) set(wave, "revert_failed", `could not be reverted within ${seconds} s: ${wave.message}`);
    else if (due(revert?.attemptedAtMs ?? wave.attemptedAtMs, timing.retryIntervalMs))
      commands.push({ kind: "revert", index: wave.index });
    return;
  }
  if (revert.dispatch === "start_failed") {
    set(wave, "revert_failed", `its reverse rollout was refused: ${wave.message}`);
  } else if (revert.phase === "PROMOTED" || revert.canaryWeight >= 100) {
    set(wave, "reverted", "reverted: a reverse rollout moved all traffic back to the stable version");
  } else if (FAILED_END_PHASES.includes(revert.phase)) {
    set(wave, "revert_failed", `its reverse rollout ended ${revert.phase}`);
  }
}

function howItEnded(wave: WaveView): string {
  switch (wave.dispatch) {
    case "start_failed":
      return "could not be started";
    case "lost":
      return "was lost by its satellite";
    default:
      return wave.phase === "ROLLED_BACK" ? "rolled back" : wave.phase === "ABORTED" ? "was aborted" : "failed";
  }
}

function lastStarted(waves: readonly WaveView[]): number {
  let last = 0;
  for (const wave of waves) if (wave.dispatch !== "waiting" && wave.dispatch !== "halted") last = wave.index;
  return last;
}

/** The status a client sees for a wave: the dispatch state, refined by the satellite's phase. */
export function waveStatusOf(dispatch: WaveDispatch, phase: PhaseName): RolloutWaveStatus {
  switch (dispatch) {
    case "waiting":
      return RolloutWaveStatus.WAITING;
    case "starting":
      return RolloutWaveStatus.STARTING;
    case "halted":
      return RolloutWaveStatus.HALTED;
    case "start_failed":
    case "lost":
      return RolloutWaveStatus.FAILED;
    case "reverting":
      return RolloutWaveStatus.REVERTING;
    case "reverted":
      return RolloutWaveStatus.REVERTED;
    case "revert_failed":
      return RolloutWaveStatus.REVERT_FAILED;
    case "started":
    case "aborting":
      if (phase === "PROMOTED") return RolloutWaveStatus.PROMOTED;
      if (phase === "ROLLED_BACK" || phase === "ABORTED") return RolloutWaveStatus.ROLLED_BACK;
      if (phase === "FAILED") return RolloutWaveStatus.FAILED;
      return RolloutWaveStatus.RUNNING;
    default: {
      const unreachable: never = dispatch;
      throw new Error(`unknown wave dispatch ${String(unreachable)}`);
    }
  }
}
