import { type Migration, MigrationState } from "@sentra/proto";
import { SingleBar } from "cli-progress";

/** The saga's forward path: how far along a migration is, for the bar. */
const FORWARD_PATH = [
  MigrationState.PLANNED,
  MigrationState.LOCKED,
  MigrationState.SCALING_UP_TARGET,
  MigrationState.TARGET_READY,
  MigrationState.SCALING_DOWN_SOURCE,
  MigrationState.DONE,
];

/** Reports a migration's saga as it goes: a bar on a terminal, one line per step otherwise (CI logs). */
export interface MigrationProgress {
  update(migration: Migration): void;
  stop(): void;
}

export function stateName(state: MigrationState): string {
  return MigrationState[state] ?? String(state);
}

export function createMigrationProgress(out: NodeJS.WriteStream = process.stderr): MigrationProgress {
  const lastDetail = (migration: Migration): string => migration.steps.at(-1)?.detail ?? migration.error;
  if (!out.isTTY) {
    let printed = 0;
    return {
      update(migration) {
        // Every journalled step once, in order, even when the stream skipped some.
        for (const step of migration.steps.filter((s) => s.sequence > printed)) {
          out.write(`migration ${migration.id}: ${stateName(step.state)}${step.detail ? ` (${step.detail})` : ""}\n`);
          printed = step.sequence;
        }
      },
      stop() {},
    };
  }
  const bar = new SingleBar({
    stream: out,
    format: "migration {id} [{bar}] {step}/{total} {state} {detail}",
    barsize: 24,
    hideCursor: true,
    clearOnComplete: false,
  });
  let started = false;
  return {
    update(migration) {
      const reached = FORWARD_PATH.indexOf(migration.state);
      // Compensation keeps the bar where the forward path stopped.
      const step = reached >= 0 ? reached + 1 : Math.max(1, FORWARD_PATH.indexOf(lastForwardState(migration)) + 1);
      const payload = { id: migration.id, state: stateName(migration.state), detail: lastDetail(migration) };
      if (!started) {
        bar.start(FORWARD_PATH.length, step, payload);
        started = true;
      } else bar.update(step, payload);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

function lastForwardState(migration: Migration): MigrationState {
  const forward = migration.steps.filter((step) => FORWARD_PATH.includes(step.state)).at(-1);
  return forward?.state ?? MigrationState.PLANNED;
}
