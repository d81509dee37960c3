import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from "@nestjs/common";
import type { Logger } from "@sentra/common";
import type { MigrationPlan } from "@sentra/proto";
import type { ArbitrageOpportunity, OpportunityFinder } from "../arbitrage/opportunity-finder.js";
import { COORDINATOR_CONFIG, type CoordinatorConfig, LOGGER } from "../config/coordinator-config.js";
import { type ArbitrageView, bestPerWorkload, toArbitrageView, toPlanMessage } from "./arbitrage-estate-adapter.js";
import { type EstateSnapshotReader, LIVE_ESTATE_SNAPSHOT_READER } from "./estate-snapshot-reader.js";
import { MigrationMetrics } from "./migration-metrics.js";

/** Injection token of the shared {@link OpportunityFinder} (options compiled once from config). */
export const OPPORTUNITY_FINDER = Symbol("OpportunityFinder");

/** One ranking: per workload id, its best accepted move, best margin first. */
export interface OpportunityRanking {
  readonly computedAtMs: number;
  readonly opportunities: readonly ArbitrageOpportunity[];
  readonly messages: readonly MigrationPlan[];
  /** The inputs it was computed from (automatic mode decides on the same ones). */
  readonly view: ArbitrageView;
}

/** Called after every recomputation; `changed` is false when the ranking is the same as before. */
export type RankingListener = (ranking: OpportunityRanking, changed: boolean) => void;

/**
 * Recomputes the opportunities every `SENTRA_ARBITRAGE_INTERVAL_MS` from the estate in Redis (live
 * satellites, unexpired prices, inventories) and hands each ranking to its listeners
 * (WatchOpportunities streams, automatic mode). Every replica computes its own from the shared
 * Redis state, so no cross-replica fan-out is needed.
 */
@Injectable()
export class OpportunityMonitor implements OnApplicationBootstrap, OnModuleDestroy {
  private latest: OpportunityRanking | undefined;
  private signature = "";
  private refreshing: Promise<OpportunityRanking> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners = new Map<RankingListener, (() => void) | undefined>();
  private readonly rejectedSeen = new Set<string>();

  constructor(
    @Inject(LIVE_ESTATE_SNAPSHOT_READER) private readonly reader: EstateSnapshotReader,
    @Inject(OPPORTUNITY_FINDER) private readonly finder: OpportunityFinder,
    private readonly metrics: MigrationMetrics,
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.refresh().catch((error: unknown) => this.logger.warn({ err: String(error) }, "opportunity ranking failed"));
    }, this.config.arbitrage.intervalMs);
  }

  /** Stops ranking and ends every subscription (open WatchOpportunities streams close). */
  onModuleDestroy(): void {
    clearInterval(this.timer);
    for (const onClose of this.listeners.values()) onClose?.();
    this.listeners.clear();
  }

  /** The finder's compiled options (TTL, horizon, minimum margin…). */
  get finderOptions(): OpportunityFinder["options"] {
    return this.finder.options;
  }

  /** The latest ranking, computed now if none is recent enough (start-up). */
  async current(): Promise<OpportunityRanking> {
    const latest = this.latest;
    if (latest !== undefined && Date.now() - latest.computedAtMs <= 2 * this.config.arbitrage.intervalMs) return latest;
    return this.refresh();
  }

  /** Calls `listener` after every ranking; `onClose` when the monitor stops. Returns the unsubscribe. */
  subscribe(listener: RankingListener, onClose?: () => void): () => void {
    this.listeners.set(listener, onClose);
    return () => this.listeners.delete(listener);
  }

  /** Recomputes now (concurrent callers share one computation). */
  refresh(): Promise<OpportunityRanking> {
    this.refreshing ??= this.compute().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async compute(): Promise<OpportunityRanking> {
    const view = toArbitrageView(await this.reader.snapshot());
    const startedAt = performance.now();
    const opportunities = bestPerWorkload(this.finder.find(view.workloads, view.markets, view.nowMs));
    this.metrics.opportunityComputation.observe((performance.now() - startedAt) / 1000);
    this.metrics.opportunities.set(opportunities.length);
    this.metrics.rejectedWorkloads.set(view.rejected.length);
    this.reportRejected(view);
    const ranking: OpportunityRanking = {
      computedAtMs: view.nowMs,
      opportunities,
      messages: opportunities.map((plan) => toPlanMessage(plan, { accepted: true, evaluatedAtMs: view.nowMs })),
      view,
    };
    const signature = JSON.stringify(
      opportunities.map((o) => [
        o.workloadId,
        o.source.satelliteId,
        o.target.satelliteId,
        o.target.cluster,
        o.marginUsd,
      ]),
    );
    const changed = signature !== this.signature;
    this.signature = signature;
    this.latest = ranking;
    for (const listener of this.listeners.keys()) {
      try {
        listener(ranking, changed);
      } catch (error) {
        this.logger.warn({ err: String(error) }, "opportunity listener failed");
      }
    }
    return ranking;
  }

  /** A bad annotation is logged once per workload copy and message, not at every ranking. */
  private reportRejected(view: ArbitrageView): void {
    for (const { workload, error } of view.rejected) {
      const key = `${workload.ref?.satelliteId}/${workload.ref?.cluster}/${workload.ref?.namespace}/${workload.ref?.name}: ${error.message}`;
      if (this.rejectedSeen.has(key)) continue;
      if (this.rejectedSeen.size > 10_000) this.rejectedSeen.clear();
      this.rejectedSeen.add(key);
      this.logger.warn({ workload: key, field: error.field }, "workload left out of arbitrage: bad annotation");
    }
  }
}
