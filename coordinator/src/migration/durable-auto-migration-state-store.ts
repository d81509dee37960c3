import type { AutoMigrationStateStore } from "../arbitrage/arbitrage-ports.js";
import type { AutoMigrationPolicy, AutoMigrationState } from "../arbitrage/auto-migration-policy.js";
import type { MigrationJournal } from "./migration-journal.js";
import { isTerminal } from "./migration-state-machine.js";

/** The journal's part the store uses. */
export type AutoMigrationStateJournal = Pick<
  MigrationJournal,
  "latestPerWorkload" | "latestAutoMigrationsSince" | "loadAutoMigrationState" | "saveAutoMigrationState"
>;

/**
 * Automatic mode's state, durable in MySQL (one JSON row, `auto_migration_state`; only the leader
 * writes it), so a Redis restart or flush neither restarts cool-downs nor forgets migrations in
 * flight. On every load it is reconciled with the migration journal, the authority on what ran:
 *
 * - a workload the state has in flight whose newest migration ended (done, compensated, failed — on
 *   any replica, or while no leader ran) frees its slot and starts its cool-down from the moment it
 *   ended (so the saga never writes this state);
 * - an automatic migration the journal holds unfinished counts as in flight, and one that ended
 *   within the cool-down keeps its workload cooling down — even when the saved state lost them (a
 *   crash between a start and the save, a damaged or missing row, the state of a version that kept
 *   it in Redis).
 *
 * Only the sustain clocks live in the row alone; losing them delays a move, never hastens one.
 */
export class DurableAutoMigrationStateStore implements AutoMigrationStateStore {
  constructor(
    private readonly journal: AutoMigrationStateJournal,
    private readonly policy: AutoMigrationPolicy,
    private readonly now: () => number = Date.now,
  ) {}

  async load(): Promise<AutoMigrationState> {
    const raw = await this.journal.loadAutoMigrationState();
    let state = raw === undefined ? this.policy.initialState() : parseState(raw, this.policy);
    const nowMs = this.now();

    const inFlight = Object.keys(state.inFlight);
    if (inFlight.length > 0) {
      const latest = await this.journal.latestPerWorkload(inFlight);
      for (const workloadId of inFlight) {
        const migration = latest.get(workloadId);
        if (migration !== undefined && !isTerminal(migration.state)) continue;
        state = this.policy.migrationEnded(state, workloadId, migration?.finishedAtMs ?? nowMs);
      }
    }

    const cooldownMs = this.policy.options.cooldownSeconds * 1000;
    const journalled = await this.journal.latestAutoMigrationsSince(nowMs - cooldownMs);
    for (const [workloadId, migration] of journalled) {
      if (!isTerminal(migration.state)) {
        if (state.inFlight[workloadId] === undefined) {
          state = {
            ...state,
            inFlight: {
              ...state.inFlight,
              [workloadId]: {
                startedAtMs: migration.createdAtMs,
                target: `${migration.target.cloud}:${migration.target.region}`,
              },
            },
          };
        }
        continue;
      }
      const endedAtMs = migration.finishedAtMs ?? migration.updatedAtMs;
      if (
        state.inFlight[workloadId] === undefined &&
        (state.cooldownUntilMs[workloadId] ?? 0) < endedAtMs + cooldownMs
      ) {
        state = this.policy.migrationEnded(state, workloadId, endedAtMs);
      }
    }
    return state;
  }

  async save(state: AutoMigrationState): Promise<void> {
    await this.journal.saveAutoMigrationState(JSON.stringify(state), this.now());
  }
}

/** A state written by another version (or damaged) restarts the clocks rather than stopping auto mode. */
function parseState(raw: string, policy: AutoMigrationPolicy): AutoMigrationState {
  try {
    const parsed = JSON.parse(raw) as Partial<AutoMigrationState>;
    const isRecord = (value: unknown): value is Record<string, never> =>
      typeof value === "object" && value !== null && !Array.isArray(value);
    if (isRecord(parsed.sustained) && isRecord(parsed.inFlight) && isRecord(parsed.cooldownUntilMs)) {
      return parsed as AutoMigrationState;
    }
  } catch {
    // fall through
  }
  return policy.initialState();
}
