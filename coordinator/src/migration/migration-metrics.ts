import { Counter, Gauge, Histogram, type Registry } from "prom-client";

/** Metrics of arbitrage, the migration saga and automatic mode, on the coordinator's registry. */
export class MigrationMetrics {
  readonly opportunities: Gauge;
  readonly opportunityComputation: Histogram;
  readonly rejectedWorkloads: Gauge;
  readonly planRefusals: Counter<"code">;
  readonly migrationsStarted: Counter<"trigger">;
  readonly migrationsFinished: Counter<"outcome">;
  readonly migrationsRunning: Gauge;
  readonly stepDuration: Histogram<"state">;
  readonly lockContention: Counter;
  readonly sagaInterruptions: Counter<"reason">;
  readonly recoveries: Counter;
  readonly autoLeader: Gauge;
  readonly autoHeld: Gauge<"reason">;

  constructor(registry: Registry) {
    const registers = [registry];
    this.opportunities = new Gauge({
      name: "sentra_coordinator_arbitrage_opportunities",
      help: "Workloads with an accepted move at the last ranking",
      registers,
    });
    this.opportunityComputation = new Histogram({
      name: "sentra_coordinator_arbitrage_computation_duration_seconds",
      help: "Time to rank opportunities over the estate (finder only, Redis reads excluded)",
      buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
      registers,
    });
    this.rejectedWorkloads = new Gauge({
      name: "sentra_coordinator_arbitrage_rejected_workloads",
      help: "Workload copies left out of the ranking because of a bad sentra.io/* annotation",
      registers,
    });
    this.planRefusals = new Counter({
      name: "sentra_coordinator_migration_plan_refusals_total",
      help: "Dry runs (PlanMigration, Migrate) refused, by refusal code",
      labelNames: ["code"],
      registers,
    });
    this.migrationsStarted = new Counter({
      name: "sentra_coordinator_migrations_started_total",
      help: "Migrations journalled and started, by trigger (manual, auto)",
      labelNames: ["trigger"],
      registers,
    });
    this.migrationsFinished = new Counter({
      name: "sentra_coordinator_migrations_finished_total",
      help: "Migrations that reached a terminal state, by outcome (done, compensated, failed)",
      labelNames: ["outcome"],
      registers,
    });
    this.migrationsRunning = new Gauge({
      name: "sentra_coordinator_migrations_running",
      help: "Sagas this coordinator runs now",
      registers,
    });
    this.stepDuration = new Histogram({
      name: "sentra_coordinator_migration_step_duration_seconds",
      help: "Time a saga spent in a state before leaving it, by state",
      labelNames: ["state"],
      buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers,
    });
    this.lockContention = new Counter({
      name: "sentra_coordinator_migration_lock_contention_total",
      help: "Migrate calls refused because another migration holds the workload lock",
      registers,
    });
    this.sagaInterruptions = new Counter({
      name: "sentra_coordinator_migration_saga_interruptions_total",
      help: "Sagas this coordinator stopped before their end (they resume from the journal), by reason",
      labelNames: ["reason"],
      registers,
    });
    this.recoveries = new Counter({
      name: "sentra_coordinator_migration_recoveries_total",
      help: "Sagas taken over from the journal (after a coordinator crash or shutdown)",
      registers,
    });
    this.autoLeader = new Gauge({
      name: "sentra_coordinator_auto_migration_leader",
      help: "1 when this replica holds the automatic-mode leader lease",
      registers,
    });
    this.autoHeld = new Gauge({
      name: "sentra_coordinator_auto_migration_held",
      help: "Opportunities above the automatic-mode threshold that wait, by reason",
      labelNames: ["reason"],
      registers,
    });
  }
}
