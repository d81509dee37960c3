import type { Redis } from "ioredis";
import type { AutoMigrationStateStore } from "../arbitrage/arbitrage-ports.js";
import type { AutoMigrationPolicy, AutoMigrationState } from "../arbitrage/auto-migration-policy.js";
import type { MigrationJournal } from "./migration-journal.js";
import { isTerminal } from "./migration-state-machine.js";

/**
 * The automatic-mode state as JSON under one Redis key (shared by the replicas; only the leader
 * writes it). On load, every workload the state has in flight is checked against the journal: a
 * migration that ended (done, compensated, failed — on any replica, or while no leader ran) frees
 * its slot and starts its cool-down from the moment it ended. So the saga never writes this state.
 */
export class RedisAutoMigrationStateStore implements AutoMigrationStateStore {
  constructor(
    private readonly redis: Redis,
    private readonly key: string,
    private readonly journal: Pick<MigrationJournal, "latestPerWorkload">,
    private readonly policy: AutoMigrationPolicy,
    private readonly now: () => number = Date.now,
  ) {}

  async load(): Promise<AutoMigrationState> {
    const raw = await this.redis.get(this.key);
    let state = raw === null ? this.policy.initialState() : parseState(raw, this.policy);
    const inFlight = Object.keys(state.inFlight);
    if (inFlight.length === 0) return state;
    const latest = await this.journal.latestPerWorkload(inFlight);
    for (const workloadId of inFlight) {
      const migration = latest.get(workloadId);
      if (migration !== undefined && !isTerminal(migration.state)) continue;
      state = this.policy.migrationEnded(state, workloadId, migration?.finishedAtMs ?? this.now());
    }
    return state;
  }

  async save(state: AutoMigrationState): Promise<void> {
    await this.redis.set(this.key, JSON.stringify(state));
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
