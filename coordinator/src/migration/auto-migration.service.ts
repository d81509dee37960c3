import { createHash } from "node:crypto";
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from "@nestjs/common";
import type { Logger } from "@sentra/common";
import { MAX_IDEMPOTENCY_KEY_LENGTH } from "@sentra/proto";
import type { Redis } from "ioredis";
import type { MigrationStarter } from "../arbitrage/arbitrage-ports.js";
import {
  type AutoMigrationPolicy,
  createAutoMigrationPolicy,
  HOLD_REASONS,
} from "../arbitrage/auto-migration-policy.js";
import { runAutoMigrationTick } from "../arbitrage/auto-migration-tick.js";
import type { MigrationPlan } from "../arbitrage/migration-plan.js";
import { COORDINATOR_CONFIG, type CoordinatorConfig, LOGGER, REDIS_CLIENT } from "../config/coordinator-config.js";
import { LeaderLease } from "../infrastructure/leader-lease.js";
import { DurableAutoMigrationStateStore } from "./durable-auto-migration-state-store.js";
import { MigrationService } from "./migration.service.js";
import { MigrationJournal } from "./migration-journal.js";
import { MigrationMetrics } from "./migration-metrics.js";
import { OpportunityMonitor, type OpportunityRanking } from "./opportunity-monitor.service.js";

/**
 * Automatic mode (`SENTRA_AUTO_MIGRATE=true`; off by default): after each opportunity ranking, the
 * replica holding the Redis leader lease runs one `runAutoMigrationTick` — hysteresis, cool-down and
 * the concurrency cap are the policy's (docs/arbitrage.md). Disabled, the leader still tracks the
 * sustain clocks (so switching it on does not restart them) but starts nothing. It moves only
 * workloads that opted in (`sentra.io/auto-migrate: "true"`, or a namespace of
 * `SENTRA_AUTO_MIGRATE_NAMESPACES`), never Kubernetes' own namespaces or Sentra itself.
 */
@Injectable()
export class AutoMigrationService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly policy: AutoMigrationPolicy;
  private readonly lease: LeaderLease;
  private readonly store: DurableAutoMigrationStateStore;
  private unsubscribe: (() => void) | undefined;
  private ticking: Promise<void> | undefined;
  /** Workloads held for synthetic prices at the last tick, so the refusal is logged once per episode. */
  private syntheticHeld = new Set<string>();

  constructor(
    private readonly monitor: OpportunityMonitor,
    private readonly migrations: MigrationService,
    journal: MigrationJournal,
    private readonly metrics: MigrationMetrics,
    @Inject(REDIS_CLIENT) redis: Redis,
    @Inject(COORDINATOR_CONFIG) config: CoordinatorConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    const auto = config.autoMigration;
    this.policy = createAutoMigrationPolicy({
      enabled: auto.enabled,
      marginThresholdUsd: auto.marginThresholdUsd,
      sustainSeconds: auto.sustainSeconds,
      cooldownSeconds: auto.cooldownSeconds,
      maxConcurrentMigrations: auto.maxConcurrentMigrations,
      allowSyntheticPrices: auto.allowSyntheticPrices,
      optInNamespaces: auto.optInNamespaces,
    });
    this.lease = new LeaderLease(redis, `${config.redisPrefix}auto-migration:leader`, auto.leaderLeaseMs);
    // In MySQL with the journal, not in Redis: it must survive a Redis restart (docs/arbitrage.md).
    this.store = new DurableAutoMigrationStateStore(journal, this.policy);
  }

  onApplicationBootstrap(): void {
    if (this.policy.options.enabled) this.logger.info({ ...this.policy.options }, "automatic migration mode is on");
    if (this.policy.options.enabled && this.policy.options.allowSyntheticPrices) {
      this.logger.warn(
        "automatic migration acts on model and replay prices too (SENTRA_AUTO_MIGRATE_ALLOW_SYNTHETIC_PRICES=true): demos and tests only",
      );
    }
    this.unsubscribe = this.monitor.subscribe((ranking) => {
      if (this.ticking !== undefined) return; // a slow tick skips rankings rather than queueing them
      this.ticking = this.tick(ranking).finally(() => {
        this.ticking = undefined;
      });
    });
  }

  async onModuleDestroy(): Promise<void> {
    this.unsubscribe?.();
    await this.ticking;
    await this.lease.release().catch(() => undefined);
  }

  private async tick(ranking: OpportunityRanking): Promise<void> {
    try {
      const leader = await this.lease.hold();
      this.metrics.autoLeader.set(leader ? 1 : 0);
      if (!leader) return;
      const result = await runAutoMigrationTick({
        clock: { nowMs: () => ranking.computedAtMs },
        estate: { listWorkloads: async () => ranking.view.workloads, listMarkets: async () => ranking.view.markets },
        store: this.store,
        starter: this.starter(ranking.computedAtMs),
        // The ranking is already computed (best move per workload): decide on exactly that.
        finder: { options: this.monitor.finderOptions, find: () => [...ranking.opportunities] },
        policy: this.policy,
      });
      const held = new Map<string, number>();
      for (const hold of result.held) held.set(hold.reason, (held.get(hold.reason) ?? 0) + 1);
      for (const reason of HOLD_REASONS) this.metrics.autoHeld.set({ reason }, held.get(reason) ?? 0);
      this.reportSyntheticHolds(result.held, ranking);
      for (const failure of result.failedStarts) {
        this.logger.warn(
          { workload: failure.workloadId, code: failure.error.code, err: failure.error.message },
          "automatic migration refused at start; its cool-down begins",
        );
      }
    } catch (error) {
      this.logger.warn({ err: String(error) }, "automatic migration tick failed");
    }
  }

  /**
   * Logs each workload automatic mode refuses to move because a price is synthetic, once when the
   * refusal starts (not at every ranking), with both prices' sources and the margin.
   */
  private reportSyntheticHolds(
    held: readonly { workloadId: string; reason: string }[],
    ranking: OpportunityRanking,
  ): void {
    const now = new Set(held.filter((hold) => hold.reason === "synthetic-prices").map((hold) => hold.workloadId));
    for (const workloadId of now) {
      if (this.syntheticHeld.has(workloadId)) continue;
      const plan = ranking.opportunities.find((opportunity) => opportunity.workloadId === workloadId);
      this.logger.warn(
        {
          workload: workloadId,
          reason: "synthetic-prices",
          source: plan ? `${plan.source.cloud}:${plan.source.region}` : undefined,
          sourcePriceSource: plan?.source.priceSource,
          target: plan ? `${plan.target.cloud}:${plan.target.region}` : undefined,
          targetPriceSource: plan?.target.priceSource,
          marginUsd: plan?.marginUsd,
        },
        "automatic migration refused: a price is not live (model or replay); set the satellites' SENTRA_PRICE_SOURCE to their cloud, or SENTRA_AUTO_MIGRATE_ALLOW_SYNTHETIC_PRICES=true for a demo",
      );
    }
    this.syntheticHeld = now;
  }

  private starter(nowMs: number): MigrationStarter {
    return {
      start: async (plan: MigrationPlan, trigger) => {
        const { record } = await this.migrations.migrate({
          workload: {
            satelliteId: plan.source.satelliteId,
            cluster: plan.source.cluster,
            namespace: plan.namespace,
            name: plan.name,
          },
          targetRegion: `${plan.target.cloud}:${plan.target.region}`,
          idempotencyKey: autoIdempotencyKey(plan.workloadId, nowMs),
          requestedBy: "auto",
          trigger,
        });
        this.logger.info(
          { migrationId: record.id, workload: plan.workloadId, marginUsd: plan.marginUsd },
          "automatic migration started",
        );
      },
    };
  }
}

/** `auto:<decision ms>:<workload>`, hashed when a long workload name would exceed the key limit. */
function autoIdempotencyKey(workloadId: string, nowMs: number): string {
  const key = `auto:${nowMs}:${workloadId}`;
  return key.length <= MAX_IDEMPOTENCY_KEY_LENGTH
    ? key
    : `auto:${nowMs}:${createHash("sha256").update(workloadId).digest("hex").slice(0, 32)}`;
}
