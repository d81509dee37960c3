import { MIGRATION_END_STATES, type MigrationStateView, type MigrationView } from "@sentra/common/dashboard-protocol";

/** The make-before-break path of a saga that succeeds. */
export const HAPPY_PATH: readonly MigrationStateView[] = [
  "PLANNED",
  "LOCKED",
  "SCALING_UP_TARGET",
  "TARGET_READY",
  "SCALING_DOWN_SOURCE",
  "DONE",
];

export const STATE_LABELS: Record<MigrationStateView, string> = {
  PLANNED: "Dry run accepted",
  LOCKED: "Workload locked",
  SCALING_UP_TARGET: "Scaling up the target",
  TARGET_READY: "Target ready",
  SCALING_DOWN_SOURCE: "Scaling down the source",
  DONE: "Done",
  COMPENSATING: "Compensating",
  COMPENSATED: "Compensated: target restored, source untouched",
  FAILED: "Failed",
  UNSPECIFIED: "Unknown state",
};

/** One stage of the progress display. */
export interface SagaStage {
  state: MigrationStateView;
  label: string;
  /** done: journalled and passed; current: the state now (running); ended: the final state. */
  status: "done" | "current" | "pending" | "ended";
  atMs: number | null;
  detail: string;
}

/** How a migration ended (or that it has not). */
export function sagaOutcome(migration: MigrationView): "running" | "done" | "compensated" | "failed" {
  if (migration.state === "DONE") return "done";
  if (migration.state === "COMPENSATED") return "compensated";
  if (migration.state === "FAILED") return "failed";
  return "running";
}

/**
 * The saga's stages as the journal tells them: every journalled step (in order), then — while it
 * is on the happy path — the states still to come. A saga that compensates shows the steps it
 * took and how it ended, not a happy path it will not take.
 */
export function sagaStages(migration: MigrationView): SagaStage[] {
  const steps = [...migration.steps].sort((a, b) => a.sequence - b.sequence);
  const ended = MIGRATION_END_STATES.includes(migration.state);
  const stages: SagaStage[] = steps.map((step, index) => {
    const last = index === steps.length - 1;
    return {
      state: step.state,
      label: STATE_LABELS[step.state],
      status: last ? (ended ? "ended" : "current") : "done",
      atMs: step.atMs,
      detail: step.detail,
    };
  });
  const offPath = steps.some((step) => !HAPPY_PATH.includes(step.state));
  if (ended || offPath) return stages;
  const reached = new Set(steps.map((step) => step.state));
  for (const state of HAPPY_PATH) {
    if (reached.has(state)) continue;
    stages.push({ state, label: STATE_LABELS[state], status: "pending", atMs: null, detail: "" });
  }
  return stages;
}
