import type { AutoMigrationState } from "./auto-migration-policy.js";
import type { MigrationPlan } from "./migration-plan.js";
import type { RegionMarket } from "./region-market.js";
import type { WorkloadCostInput } from "./workload-cost-input.js";

/** Time, behind a port so tests drive a fake clock. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  nowMs(): number;
}

/**
 * The estate as arbitrage reads it (adapter: Redis estate store fed by NATS price and health
 * messages; `live` = heartbeat key present, price `observedAtMs` from the snapshot).
 */
export interface EstateReader {
  listWorkloads(): Promise<readonly WorkloadCostInput[]>;
  listMarkets(): Promise<readonly RegionMarket[]>;
}

/** Where the auto policy's state lives between ticks (adapter: Redis, shared by coordinator replicas). */
export interface AutoMigrationStateStore {
  load(): Promise<AutoMigrationState>;
  save(state: AutoMigrationState): Promise<void>;
}

/**
 * Hands an accepted plan to the migration saga (adapter: the saga service, which re-plans with
 * fresh prices, takes the workload lock and journals before acting).
 */
export interface MigrationStarter {
  start(plan: MigrationPlan, trigger: "auto" | "manual"): Promise<void>;
}
