import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from "@nestjs/common";
import type { Logger } from "@sentra/common";
import type { Pool } from "mysql2/promise";
import { COORDINATOR_CONFIG, type CoordinatorConfig, LOGGER, MYSQL_POOL } from "../config/coordinator-config.js";
import { CoordinatorMetrics } from "../metrics/coordinator-metrics.js";
import { RecordPruner } from "./record-pruner.js";

/**
 * Deletes MySQL record rows past their retention (steps, incidents, applied-event records, audit
 * log) every check interval, starting shortly after start-up. Replicas race for a named lock; the
 * loser skips the run, so the work is done once however many replicas run.
 */
@Injectable()
export class RecordRetentionService implements OnApplicationBootstrap, OnModuleDestroy {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly pruner: RecordPruner;

  constructor(
    @Inject(MYSQL_POOL) pool: Pool,
    private readonly metrics: CoordinatorMetrics,
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.pruner = new RecordPruner(pool);
  }

  onApplicationBootstrap(): void {
    const { historyMs, auditMs, checkIntervalMs } = this.config.retention;
    if (historyMs === 0 && auditMs === 0) return;
    // The first run soon after start (not at once: start-up has enough to do), then every interval.
    this.timer = setTimeout(
      () => {
        this.timer = setInterval(() => this.runOnce(), checkIntervalMs);
        this.runOnce();
      },
      Math.min(checkIntervalMs, 10_000),
    );
  }

  async onModuleDestroy(): Promise<void> {
    clearTimeout(this.timer);
    clearInterval(this.timer);
    await this.running;
  }

  private runOnce(): void {
    if (this.running) return;
    this.running = this.prune(Date.now()).finally(() => {
      this.running = undefined;
    });
  }

  async prune(nowMs: number): Promise<void> {
    const { historyMs, auditMs } = this.config.retention;
    const cutoff = (retentionMs: number): Date | undefined =>
      retentionMs > 0 ? new Date(nowMs - retentionMs) : undefined;
    try {
      const result = await this.pruner.prune({ history: cutoff(historyMs), audit: cutoff(auditMs) });
      if (result.skipped) return;
      let total = 0;
      for (const [table, rows] of Object.entries(result.deleted)) {
        if (rows > 0) this.metrics.recordsPruned.inc({ table }, rows);
        total += rows;
      }
      if (total > 0 || result.backlog.length > 0) {
        this.logger.info(
          {
            deleted: result.deleted,
            backlog: result.backlog,
            historyDays: historyMs / 86_400_000,
            auditDays: auditMs / 86_400_000,
          },
          "record rows past their retention deleted",
        );
      }
    } catch (error) {
      this.metrics.recordPruneErrors.inc();
      this.logger.warn({ err: String(error) }, "record retention run failed; the next run tries again");
    }
  }
}
