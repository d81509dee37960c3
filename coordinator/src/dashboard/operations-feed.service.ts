import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from "@nestjs/common";
import type { Logger } from "@sentra/common";
import { LOGGER } from "../config/coordinator-config.js";
import { MigrationService } from "../migration/migration.service.js";
import { MigrationEventBus } from "../migration/migration-event-bus.js";
import { toMigrationMessage } from "../migration/migration-record.js";
import { OpportunityMonitor, type OpportunityRanking } from "../migration/opportunity-monitor.service.js";
import { RolloutService } from "../rollout/rollout.service.js";
import { RolloutChangeFeed } from "../rollout/rollout-change-feed.js";
import { toMigrationView, toOpportunityView } from "./arbitrage-views.js";
import {
  DashboardFeed,
  FINISHED_MIGRATIONS_KEPT,
  FINISHED_ROLLOUTS_KEPT,
  ROLLOUT_DECISIONS_LENGTH,
} from "./dashboard-feed.service.js";
import { KeyedRefresher } from "./keyed-refresher.js";
import { toRolloutView } from "./rollout-views.js";

/** @default 5 — incidents a rollout view carries (the latest). */
const INCIDENTS_KEPT = 5;

/**
 * Feeds the dashboard's operations topics from the capabilities' own change ports — no query per
 * client: each ranking of the {@link OpportunityMonitor}; each migration change on the
 * {@link MigrationEventBus} (this replica's sagas and, through Redis, the others'); each rollout
 * change notice on the {@link RolloutChangeFeed}, after which the rollout and its recent decisions
 * are read once (reads coalesced per rollout, one at a time). Seeded at start from the journal
 * and the rollout record, so a restarted coordinator's pages see what is under way.
 */
@Injectable()
export class OperationsFeed implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly unsubscribers: Array<() => void> = [];
  private readonly rolloutReads: KeyedRefresher;

  constructor(
    private readonly feed: DashboardFeed,
    private readonly opportunities: OpportunityMonitor,
    private readonly migrationEvents: MigrationEventBus,
    private readonly migrations: MigrationService,
    private readonly rolloutChanges: RolloutChangeFeed,
    private readonly rollouts: RolloutService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.rolloutReads = new KeyedRefresher(
      (id) => this.readRollout(id),
      (id, error) => this.logger.warn({ rolloutId: id, err: String(error) }, "dashboard: could not read a rollout"),
    );
  }

  onApplicationBootstrap(): void {
    this.unsubscribers.push(
      this.opportunities.subscribe((ranking) => this.recordRanking(ranking)),
      this.migrationEvents.subscribe((migration) => this.feed.recordMigration(toMigrationView(migration))),
      this.rolloutChanges.subscribe((rolloutId) => this.rolloutReads.request(rolloutId)),
    );
    // In the background: the page gets these within a delta; start-up does not wait on MySQL.
    void this.seed();
  }

  onModuleDestroy(): void {
    this.rolloutReads.stop();
    for (const unsubscribe of this.unsubscribers.splice(0)) unsubscribe();
  }

  /** Resolves when the rollout reads asked for so far have run (tests). */
  settled(): Promise<void> {
    return this.rolloutReads.idle();
  }

  private recordRanking(ranking: OpportunityRanking): void {
    this.feed.recordRanking(ranking.messages.map(toOpportunityView));
  }

  private async readRollout(id: string): Promise<void> {
    const [rollout, history] = await Promise.all([
      this.rollouts.get(id),
      this.rollouts.history(id, ROLLOUT_DECISIONS_LENGTH),
    ]);
    this.feed.recordRollout(
      toRolloutView(rollout, history.decisions, history.incidents.slice(-INCIDENTS_KEPT), (satelliteId) =>
        this.feed.regionKeyOf(satelliteId),
      ),
    );
  }

  private async seed(): Promise<void> {
    const steps: Array<[string, () => Promise<void>]> = [
      ["opportunities", async () => this.recordRanking(await this.opportunities.current())],
      [
        "migrations",
        async () => {
          const [active, recent] = await Promise.all([
            this.migrations.list({ activeOnly: true, limit: 500 }),
            this.migrations.list({ limit: FINISHED_MIGRATIONS_KEPT }),
          ]);
          // Oldest first, so the mirror keeps the most recent finished ones.
          for (const record of [...recent].reverse())
            this.feed.recordMigration(toMigrationView(toMigrationMessage(record)));
          for (const record of active) this.feed.recordMigration(toMigrationView(toMigrationMessage(record)));
        },
      ],
      [
        "rollouts",
        async () => {
          const [active, recent] = await Promise.all([
            this.rollouts.list({ activeOnly: true, pageSize: 500 }),
            this.rollouts.list({ pageSize: FINISHED_ROLLOUTS_KEPT }),
          ]);
          const ids = new Set([...recent.rollouts, ...active.rollouts].map((rollout) => rollout.id));
          for (const id of ids) this.rolloutReads.request(id);
        },
      ],
    ];
    await Promise.all(
      steps.map(([topic, run]) =>
        run().catch((error: unknown) => {
          // Not fatal: the change ports fill the topic as things happen.
          this.logger.warn({ topic, err: String(error) }, "dashboard: could not seed a topic");
        }),
      ),
    );
  }
}
