import { type ErrorCodeName, SentraError } from "@sentra/common";
import type { Clock } from "../arbitrage/arbitrage-ports.js";
import {
  describeLocation,
  type MigrationRecord,
  type MigrationRecordPatch,
  targetLocation,
} from "./migration-record.js";
import { isTerminal, type MigrationEvent, type MigrationStateName, transition } from "./migration-state-machine.js";
import type { ReplicaStatus, SatelliteGateway, WorkloadLocation } from "./satellite-gateway.js";

/** Where a test may crash the process (`SENTRA_TEST_CRASH_AT_STEP`): after a state is journalled, or after a command was accepted. */
export type SagaCheckpoint = MigrationStateName | "TARGET_SCALE_SENT" | "SOURCE_SCALE_SENT";

/** Writes one transition to the journal (fenced); the adapter adds logs, metrics and events. */
export interface SagaJournal {
  advance(
    record: MigrationRecord,
    to: MigrationStateName,
    change: { readonly detail: string; readonly patch?: MigrationRecordPatch },
  ): Promise<MigrationRecord>;
}

/** Deadlines and pacing of the saga, all in milliseconds. */
export interface SagaOptions {
  /** From the lock to a ready target; past it, the saga compensates. */
  readonly readyTimeoutMs: number;
  /** How long scaling the source down, or compensating, is retried while a satellite is unreachable. */
  readonly stepTimeoutMs: number;
  /** Deadline of one satellite call (shortened to what is left of the step's deadline). */
  readonly callTimeoutMs: number;
  /** Longest pause between readiness polls and retries (they start at 25 ms and double). */
  readonly pollIntervalMs: number;
  /**
   * After a read that shows the target ready, wait this long and read again: the target counts as
   * ready only if the second read still shows enough ready replicas and the estate (Redis) holds its
   * satellite as live. Otherwise the saga keeps polling until the ready deadline (then compensates).
   * 0 reads again at once. @default 2000 (`SENTRA_MIGRATION_READY_CONFIRM_DELAY_MS`)
   */
  readonly readyConfirmDelayMs: number;
}

/** What the saga needs; each is a small port so a unit test can drive it with fakes. */
export interface SagaPorts {
  readonly journal: SagaJournal;
  readonly satellites: SatelliteGateway;
  readonly clock: Clock;
  readonly options: SagaOptions;
  readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Called after each journalled state and accepted command (fault injection for crash tests). */
  readonly checkpoint: (point: SagaCheckpoint) => void;
}

/** Satellite errors worth retrying until the step's deadline; anything else is an answer. */
const TRANSIENT_CODES: ReadonlySet<ErrorCodeName> = new Set([
  "UNAVAILABLE",
  "DEADLINE_EXCEEDED",
  "RESOURCE_EXHAUSTED",
  "ABORTED",
  "CANCELLED",
  "INTERNAL",
  "UNKNOWN",
]);

/** @default 25 — first pause between polls; doubles up to `pollIntervalMs`. */
const FIRST_POLL_PAUSE_MS = 25;

/** Idempotency keys of the saga's satellite commands: `<migrationId>/<step>`. */
export const sagaCommandKey = (
  migrationId: string,
  step: "scale-up-target" | "scale-down-source" | "compensate-target",
) => `${migrationId}/${step}`;

/**
 * Runs a migration from whatever state the journal holds to a terminal state (DONE, COMPENSATED or
 * FAILED), journalling every transition before acting on it, so a coordinator that dies at any point
 * can resume from the journal:
 *
 * - PLANNED → LOCKED: the lock is held; the ready deadline is fixed and journalled.
 * - LOCKED: reads both copies; the target goal is `target desired + source desired` (the target
 *   keeps the replicas it already had) → SCALING_UP_TARGET with the numbers journalled.
 * - SCALING_UP_TARGET: scales the target to the goal (idempotent key, `expected_replicas` = its
 *   previous count), polls until ready ≥ goal; resumed after a crash it re-sends the same command
 *   (a replay) and keeps waiting until the journalled deadline. Failure or deadline → COMPENSATING.
 * - TARGET_READY → SCALING_DOWN_SOURCE: scales the source to 0 (`expected_replicas` = what it had);
 *   retried while its satellite is unreachable, then FAILED (both copies running; nothing lost).
 * - COMPENSATING: the target back to its previous count, only if it still has the goal this saga set.
 *
 * Throws only when it must stop without finishing (signal aborted: shutdown or lock lost; journal
 * ownership lost; journal unreachable): the migration then stays in its state for recovery.
 */
export async function runMigrationSaga(
  initial: MigrationRecord,
  ports: SagaPorts,
  signal: AbortSignal,
): Promise<MigrationRecord> {
  const saga = new Saga(ports, signal);
  let record = initial;
  while (!isTerminal(record.state)) {
    signal.throwIfAborted();
    record = await saga.step(record);
  }
  return record;
}

class Saga {
  constructor(
    private readonly ports: SagaPorts,
    private readonly signal: AbortSignal,
  ) {}

  step(record: MigrationRecord): Promise<MigrationRecord> {
    switch (record.state) {
      case "PLANNED":
        return this.confirmLock(record);
      case "LOCKED":
        return this.prepare(record);
      case "SCALING_UP_TARGET":
        return this.scaleUpTarget(record);
      case "TARGET_READY":
        return this.advance(
          record,
          { type: "scale-down-requested" },
          `scaling the source ${describeLocation(record.source)} from ${record.sourceReplicas} to 0 desired replicas`,
        );
      case "SCALING_DOWN_SOURCE":
        return this.scaleDownSource(record);
      case "COMPENSATING":
        return this.compensate(record);
      case "DONE":
      case "COMPENSATED":
      case "FAILED":
        return Promise.resolve(record);
    }
  }

  private confirmLock(record: MigrationRecord): Promise<MigrationRecord> {
    const deadline = this.now() + this.ports.options.readyTimeoutMs;
    return this.advance(
      record,
      { type: "lock-confirmed" },
      `workload ${record.workloadKey} locked with fencing token ${record.fencingToken}; target must be ready by ${new Date(deadline).toISOString()}`,
      { readyDeadlineMs: deadline },
    );
  }

  private async prepare(record: MigrationRecord): Promise<MigrationRecord> {
    const deadline = record.readyDeadlineMs ?? this.now() + this.ports.options.readyTimeoutMs;
    const target = targetLocation(record);
    // Both reads at once; allSettled so no retry loop outlives this step.
    const [sourceRead, targetRead] = await Promise.allSettled([
      this.retry(`read source ${describeLocation(record.source)}`, deadline, (timeoutMs) =>
        this.ports.satellites.getWorkload(record.source, { timeoutMs, signal: this.signal }),
      ),
      this.retry(`read target ${describeLocation(target)}`, deadline, (timeoutMs) =>
        this.ports.satellites.getWorkload(target, { timeoutMs, signal: this.signal }),
      ),
    ]);
    if (sourceRead.status === "rejected") return this.fail(record, this.rethrowIfStopping(sourceRead.reason).message);
    if (targetRead.status === "rejected") return this.fail(record, this.rethrowIfStopping(targetRead.reason).message);
    const source: ReplicaStatus = sourceRead.value;
    const before: ReplicaStatus = targetRead.value;
    if (source.desired === 0) {
      return this.fail(record, `source ${describeLocation(record.source)} has 0 desired replicas: nothing to move`);
    }
    const goal = before.desired + source.desired;
    return this.advance(
      record,
      { type: "scale-up-requested" },
      `scaling the target ${describeLocation(target)} from ${before.desired} to ${goal} desired replicas (source runs ${source.desired}, ${source.ready} ready)`,
      { sourceReplicas: source.desired, targetReplicasBefore: before.desired, targetReplicasGoal: goal },
    );
  }

  private async scaleUpTarget(record: MigrationRecord): Promise<MigrationRecord> {
    const { before, goal, deadline } = scaleUpNumbers(record);
    const target = targetLocation(record);
    const key = sagaCommandKey(record.id, "scale-up-target");
    let replayed: boolean;
    try {
      const result = await this.retry(`scale the target to ${goal}`, deadline, (timeoutMs) =>
        this.ports.satellites.scaleWorkload(target, goal, key, before, {
          timeoutMs,
          signal: this.signal,
          fencingToken: record.fencingToken,
        }),
      );
      replayed = result.replayed;
    } catch (error) {
      const cause = this.rethrowIfStopping(error);
      if (cause.code === "FAILED_PRECONDITION") {
        // Refused before any change (someone else changed the target): nothing for compensation to undo.
        return this.fail(
          record,
          `target refused the scale-up from ${before} to ${goal} and was not changed: ${cause.message}`,
          {
            targetReplicasGoal: null,
          },
        );
      }
      return this.fail(record, `target scale-up from ${before} to ${goal} may not have been applied: ${cause.message}`);
    }
    this.ports.checkpoint("TARGET_SCALE_SENT");

    let pause = FIRST_POLL_PAUSE_MS;
    let last: ReplicaStatus | undefined;
    let lastError: SentraError | undefined;
    /** Why the last read that showed the target ready was not confirmed. */
    let unconfirmed: string | undefined;
    for (;;) {
      this.signal.throwIfAborted();
      const remaining = deadline - this.now();
      if (remaining <= 0) {
        const seen =
          last === undefined
            ? `no answer (${lastError?.message ?? "no call completed"})`
            : `${last.ready} of ${goal} replicas ready${unconfirmed === undefined ? "" : `; not confirmed: ${unconfirmed}`}`;
        return this.fail(record, `target ${describeLocation(target)} not ready by the deadline: ${seen}`);
      }
      try {
        last = await this.ports.satellites.getWorkload(target, {
          timeoutMs: Math.min(this.ports.options.callTimeoutMs, remaining),
          signal: this.signal,
        });
        if (last.ready >= goal) {
          const confirmed = await this.confirmReady(target, goal, deadline);
          if (confirmed.ready) break;
          unconfirmed = confirmed.why;
        }
      } catch (error) {
        lastError = this.rethrowIfStopping(error);
        if (!TRANSIENT_CODES.has(lastError.code)) {
          return this.fail(record, `target ${describeLocation(target)} cannot be read: ${lastError.message}`);
        }
      }
      await this.ports.sleep(Math.max(1, Math.min(pause, deadline - this.now())), this.signal);
      pause = Math.min(pause * 2, this.ports.options.pollIntervalMs);
    }
    return this.advance(
      record,
      { type: "target-ready" },
      `target ${describeLocation(target)} has ${last.ready} of ${goal} replicas ready, confirmed by a second read and its satellite live${replayed ? " (scale command replayed after a restart)" : ""}`,
    );
  }

  /**
   * The independent check before the source may go: one read said ready, so wait
   * `readyConfirmDelayMs`, read again (≥ `goal` ready) and ask the estate whether the target's
   * satellite is live. A satellite that answers "ready" once, then loses its pods or its heartbeat,
   * never lets the source be scaled to 0. A failed read is "not confirmed", not an error: polling
   * goes on until the deadline.
   */
  private async confirmReady(
    target: WorkloadLocation,
    goal: number,
    deadline: number,
  ): Promise<{ ready: true } | { ready: false; why: string }> {
    const delay = Math.min(this.ports.options.readyConfirmDelayMs, deadline - this.now());
    if (delay > 0) await this.ports.sleep(delay, this.signal);
    const remaining = deadline - this.now();
    if (remaining <= 0) return { ready: false, why: "the deadline passed before the second read" };
    try {
      const [again, live] = await Promise.all([
        this.ports.satellites.getWorkload(target, {
          timeoutMs: Math.min(this.ports.options.callTimeoutMs, remaining),
          signal: this.signal,
        }),
        this.ports.satellites.isLive(target.satelliteId),
      ]);
      if (again.ready < goal) {
        return { ready: false, why: `a second read ${delay} ms later showed ${again.ready} of ${goal} ready` };
      }
      if (!live) return { ready: false, why: `satellite ${target.satelliteId} is not live in the estate` };
      return { ready: true };
    } catch (error) {
      return { ready: false, why: `the second read failed: ${this.rethrowIfStopping(error).message}` };
    }
  }

  private async scaleDownSource(record: MigrationRecord): Promise<MigrationRecord> {
    const sourceReplicas = required(record.sourceReplicas, "source_replicas");
    const goal = required(record.targetReplicasGoal, "target_replicas_goal");
    const deadline = this.now() + this.ports.options.stepTimeoutMs;
    const key = sagaCommandKey(record.id, "scale-down-source");
    let replayed: boolean;
    try {
      const result = await this.retry(`scale the source to 0`, deadline, (timeoutMs) =>
        this.ports.satellites.scaleWorkload(record.source, 0, key, sourceReplicas, {
          timeoutMs,
          signal: this.signal,
          fencingToken: record.fencingToken,
        }),
      );
      replayed = result.replayed;
    } catch (error) {
      const cause = this.rethrowIfStopping(error);
      if (cause.code === "FAILED_PRECONDITION") {
        // The satellite refused before changing anything: undo the target, as if it never became ready.
        const reason = `source refused its scale-down and was not changed: ${cause.message}`;
        return this.advance(record, { type: "source-refused", reason }, `${reason}; compensating`, { error: reason });
      }
      const reason =
        `source ${describeLocation(record.source)} could not be scaled down: ${cause.message}. ` +
        `Both copies run (target ${goal}, source ${sourceReplicas} desired replicas): capacity is safe; scale one down by hand`;
      return this.advance(record, { type: "gave-up", reason }, reason, { error: reason });
    }
    this.ports.checkpoint("SOURCE_SCALE_SENT");
    return this.advance(
      record,
      { type: "source-scaled-down" },
      `source ${describeLocation(record.source)} scaled from ${sourceReplicas} to 0${replayed ? " (command replayed after a restart: applied once)" : ""}; ${record.workloadKey} now runs in ${record.target.cloud}:${record.target.region}`,
    );
  }

  private async compensate(record: MigrationRecord): Promise<MigrationRecord> {
    if (record.targetReplicasGoal === null || record.targetReplicasBefore === null) {
      return this.advance(
        record,
        { type: "compensated" },
        "nothing to undo: the target was never scaled; source untouched",
      );
    }
    const before = record.targetReplicasBefore;
    const goal = record.targetReplicasGoal;
    const target = targetLocation(record);
    const deadline = this.now() + this.ports.options.stepTimeoutMs;
    const key = sagaCommandKey(record.id, "compensate-target");
    try {
      const result = await this.retry(`restore the target to ${before}`, deadline, (timeoutMs) =>
        this.ports.satellites.scaleWorkload(target, before, key, goal, {
          timeoutMs,
          signal: this.signal,
          fencingToken: record.fencingToken,
        }),
      );
      return this.advance(
        record,
        { type: "compensated" },
        `target ${describeLocation(target)} back from ${result.previous} to ${before} desired replicas; source untouched`,
      );
    } catch (error) {
      const cause = this.rethrowIfStopping(error);
      const actual = cause.code === "FAILED_PRECONDITION" ? Number(cause.details?.actual) : Number.NaN;
      if (actual === before) {
        return this.advance(
          record,
          { type: "compensated" },
          `target ${describeLocation(target)} already has ${before} desired replicas: the scale-up never took effect; source untouched`,
        );
      }
      const reason = Number.isFinite(actual)
        ? `target ${describeLocation(target)} has ${actual} desired replicas, not the ${goal} this migration set: someone else changed it, so it is left as is (it had ${before})`
        : `could not restore the target ${describeLocation(target)} to ${before} desired replicas: ${cause.message}; it may still have ${goal}`;
      return this.advance(record, { type: "compensation-failed", reason }, reason, {
        error: `${record.error ?? "compensation"}; ${reason}`,
      });
    }
  }

  private fail(record: MigrationRecord, reason: string, patch: MigrationRecordPatch = {}): Promise<MigrationRecord> {
    return this.advance(record, { type: "failed", reason }, `${reason}; compensating`, { ...patch, error: reason });
  }

  private async advance(
    record: MigrationRecord,
    event: MigrationEvent,
    detail: string,
    patch?: MigrationRecordPatch,
  ): Promise<MigrationRecord> {
    // Stopping (shutdown, lost lock) must never be journalled as a failure of the migration.
    this.signal.throwIfAborted();
    const to = transition(record.state, event);
    const next = await this.ports.journal.advance(record, to, { detail, ...(patch === undefined ? {} : { patch }) });
    this.ports.checkpoint(to);
    return next;
  }

  /** Calls `call` until it answers, retrying transient errors with backoff until `deadlineMs`. */
  private async retry<T>(what: string, deadlineMs: number, call: (timeoutMs: number) => Promise<T>): Promise<T> {
    let pause = FIRST_POLL_PAUSE_MS;
    let lastError: SentraError | undefined;
    for (;;) {
      this.signal.throwIfAborted();
      const remaining = deadlineMs - this.now();
      if (remaining <= 0) {
        throw new SentraError(
          "DEADLINE_EXCEEDED",
          `${what}: no answer before the deadline (${lastError?.message ?? "no attempt completed"})`,
          { cause: lastError },
        );
      }
      try {
        return await call(Math.min(this.ports.options.callTimeoutMs, remaining));
      } catch (error) {
        lastError = this.rethrowIfStopping(error);
        if (!TRANSIENT_CODES.has(lastError.code)) throw lastError;
      }
      await this.ports.sleep(Math.max(1, Math.min(pause, deadlineMs - this.now())), this.signal);
      pause = Math.min(pause * 2, this.ports.options.pollIntervalMs);
    }
  }

  /** A call cut short by our own abort (shutdown, lost lock) is not the satellite's answer. */
  private rethrowIfStopping(error: unknown): SentraError {
    if (this.signal.aborted) throw this.signal.reason ?? error;
    return SentraError.from(error);
  }

  private now(): number {
    return this.ports.clock.nowMs();
  }
}

function required(value: number | null, field: string): number {
  if (value === null) throw new SentraError("INTERNAL", `journal lacks ${field} past the LOCKED step`);
  return value;
}

function scaleUpNumbers(record: MigrationRecord): { before: number; goal: number; deadline: number } {
  return {
    before: required(record.targetReplicasBefore, "target_replicas_before"),
    goal: required(record.targetReplicasGoal, "target_replicas_goal"),
    deadline: required(record.readyDeadlineMs, "ready_deadline_at"),
  };
}
