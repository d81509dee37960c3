import { SentraError } from "@sentra/common";
import { MigrationState } from "@sentra/proto";

/**
 * The states of the make-before-break saga, named as in `MigrationState` (migration.proto); the
 * journal stores these names, the gRPC stream and the dashboard show them.
 *
 * ```
 * PLANNED → LOCKED → SCALING_UP_TARGET → TARGET_READY → SCALING_DOWN_SOURCE → DONE
 *    └────────┴──────────────┴─→ COMPENSATING → COMPENSATED        ↑ (source refused) ─┘
 *                                      └─→ FAILED ← (gave up after the target was ready)
 * ```
 */
export const MIGRATION_STATES = [
  "PLANNED",
  "LOCKED",
  "SCALING_UP_TARGET",
  "TARGET_READY",
  "SCALING_DOWN_SOURCE",
  "DONE",
  "COMPENSATING",
  "COMPENSATED",
  "FAILED",
] as const;

export type MigrationStateName = (typeof MIGRATION_STATES)[number];

/** What can happen to a saga; the transition function turns (state, event) into the next state. */
export type MigrationEvent =
  /** The workload lock is held and its fencing token journalled. */
  | { readonly type: "lock-confirmed" }
  /** Replica counts read; the target's scale-up is about to be sent. */
  | { readonly type: "scale-up-requested" }
  /** The target has at least its goal of ready replicas. */
  | { readonly type: "target-ready" }
  /** The source's scale-down is about to be sent. */
  | { readonly type: "scale-down-requested" }
  /** The source's scale-down was accepted. */
  | { readonly type: "source-scaled-down" }
  /** Something failed (or the deadline passed) before the target was ready. */
  | { readonly type: "failed"; readonly reason: string }
  /** The source refused its scale-down without changing (e.g. someone changed its replicas). */
  | { readonly type: "source-refused"; readonly reason: string }
  /** The target is ready but the source could not be scaled down before the step deadline. */
  | { readonly type: "gave-up"; readonly reason: string }
  /** Whatever the saga changed on the target is undone (or nothing had changed). */
  | { readonly type: "compensated" }
  /** Compensation could not restore the target. */
  | { readonly type: "compensation-failed"; readonly reason: string };

export type MigrationEventType = MigrationEvent["type"];

/** The transition table: for each state, the events it accepts and where they lead. */
const TRANSITIONS: Readonly<Record<MigrationStateName, Partial<Record<MigrationEventType, MigrationStateName>>>> = {
  PLANNED: { "lock-confirmed": "LOCKED", failed: "COMPENSATING" },
  LOCKED: { "scale-up-requested": "SCALING_UP_TARGET", failed: "COMPENSATING" },
  SCALING_UP_TARGET: { "target-ready": "TARGET_READY", failed: "COMPENSATING" },
  // Once the target is ready the saga only moves forward: the source is never touched before this.
  TARGET_READY: { "scale-down-requested": "SCALING_DOWN_SOURCE", "gave-up": "FAILED" },
  SCALING_DOWN_SOURCE: { "source-scaled-down": "DONE", "source-refused": "COMPENSATING", "gave-up": "FAILED" },
  COMPENSATING: { compensated: "COMPENSATED", "compensation-failed": "FAILED" },
  DONE: {},
  COMPENSATED: {},
  FAILED: {},
};

/** DONE (moved), COMPENSATED (not moved, estate as before) and FAILED (not moved, needs a human). */
export function isTerminal(state: MigrationStateName): boolean {
  return state === "DONE" || state === "COMPENSATED" || state === "FAILED";
}

/** The next state, or FAILED_PRECONDITION when the event is not allowed in `state`. */
export function transition(state: MigrationStateName, event: MigrationEvent): MigrationStateName {
  const next = TRANSITIONS[state][event.type];
  if (next === undefined) {
    throw new SentraError("FAILED_PRECONDITION", `migration in state ${state} cannot take event ${event.type}`, {
      details: { state, event: event.type },
    });
  }
  return next;
}

/** Events a state accepts (for docs and tests). */
export function allowedEvents(state: MigrationStateName): MigrationEventType[] {
  return Object.keys(TRANSITIONS[state]) as MigrationEventType[];
}

export function isMigrationStateName(value: string): value is MigrationStateName {
  return (MIGRATION_STATES as readonly string[]).includes(value);
}

/** The wire enum of a state. */
export function toMigrationStateEnum(state: MigrationStateName): MigrationState {
  return MigrationState[state];
}
