import { randomUUID } from "node:crypto";
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from "@nestjs/common";
import {
  DASHBOARD_PROTOCOL_VERSION,
  type DashboardChanges,
  type DashboardDelta,
  type DashboardRole,
  type DashboardSnapshot,
  type Logger,
  type MigrationView,
  type OpportunityView,
  type RolloutView,
} from "@sentra/common";
import { COORDINATOR_CONFIG, type CoordinatorConfig, LOGGER } from "../config/coordinator-config.js";
import { EstateEvents } from "../estate/estate-events.js";
import { EstateStore } from "../estate/estate-store.js";
import { MAX_DASHBOARD_DELTA_INTERVAL_MS } from "./dashboard-defaults.js";
import { DashboardMetrics } from "./dashboard-metrics.js";
import { toLivenessView } from "./dashboard-views.js";
import { EstateMirror } from "./estate-mirror.js";
import { OperationsMirror } from "./operations-mirror.js";
import { ThrottledFlush } from "./throttled-flush.js";

/** @default 120 — points kept per price series (10 minutes at the default 5 s price interval). */
export const PRICE_HISTORY_LENGTH = 120;
/** @default 120 — decisions kept per rollout (4–10 minutes at a 2–5 s evaluation interval). */
export const ROLLOUT_DECISIONS_LENGTH = 120;
/** @default 12 — finished migrations kept (besides every unfinished one), so a saga's end stays visible. */
export const FINISHED_MIGRATIONS_KEPT = 12;
/** @default 8 — finished rollouts kept (besides every unfinished one). */
export const FINISHED_ROLLOUTS_KEPT = 8;

export type DeltaListener = (delta: DashboardDelta) => void;

/**
 * The live estate as the dashboard sees it: estate events feed an in-memory mirror (seeded from
 * Redis at start), the operations feed records opportunities, migrations and rollouts into a
 * second one, and changes leave as numbered delta batches at most every
 * `dashboard.deltaIntervalMs`, or less often when broadcasting them gets expensive (its cost is
 * measured: the listeners emit synchronously). Transport-free: the gateway subscribes and emits.
 */
@Injectable()
export class DashboardFeed implements OnApplicationBootstrap, OnModuleDestroy {
  /** This process's feed: `seq` restarts with it, so pages resync when it changes. */
  readonly epoch = randomUUID();
  private seq = 0;
  private readonly mirror = new EstateMirror(PRICE_HISTORY_LENGTH);
  private readonly operations = new OperationsMirror({
    decisionsPerRollout: ROLLOUT_DECISIONS_LENGTH,
    finishedMigrations: FINISHED_MIGRATIONS_KEPT,
    finishedRollouts: FINISHED_ROLLOUTS_KEPT,
  });
  private readonly listeners = new Set<DeltaListener>();
  private readonly flusher: ThrottledFlush;
  private readonly unsubscribers: Array<() => void> = [];

  constructor(
    private readonly events: EstateEvents,
    private readonly store: EstateStore,
    private readonly metrics: DashboardMetrics,
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.flusher = new ThrottledFlush(
      {
        minIntervalMs: config.dashboard.deltaIntervalMs,
        maxLoopUtilization: config.dashboard.maxLoopUtilization,
        maxIntervalMs: MAX_DASHBOARD_DELTA_INTERVAL_MS,
      },
      () => this.flush(),
    );
  }

  async onApplicationBootstrap(): Promise<void> {
    const changed = (): void => this.flusher.request();
    this.unsubscribers.push(
      this.events.on("satelliteChanged", ({ health, receivedAtMs }) => {
        this.mirror.heartbeat(health, receivedAtMs);
        changed();
      }),
      this.events.on("livenessChanged", ({ satelliteId, liveness }) => {
        this.mirror.liveness(satelliteId, toLivenessView(liveness));
        changed();
      }),
      this.events.on("satelliteForgotten", ({ satelliteId }) => {
        this.mirror.forgetSatellite(satelliteId);
        changed();
      }),
      this.events.on("priceChanged", ({ snapshot, receivedAtMs }) => {
        this.mirror.priceSnapshot(snapshot, receivedAtMs);
        changed();
      }),
      this.events.on("workloadsChanged", ({ satelliteId, workloads }) => {
        this.mirror.workloadInventory(satelliteId, workloads);
        changed();
      }),
    );
    try {
      const nowMs = Date.now();
      const satellites = await this.store.satellites(nowMs);
      const [prices, workloads] = await Promise.all([
        this.store.currentPrices(),
        this.store.workloads(satellites.map((satellite) => satellite.id)),
      ]);
      this.mirror.seed({ satellites, prices, workloads, nowMs });
      changed();
    } catch (error) {
      // Not fatal: the estate events fill the mirror within one heartbeat and price interval.
      this.logger.warn({ err: String(error) }, "could not seed the dashboard feed from the estate store");
    }
  }

  onModuleDestroy(): void {
    this.flusher.stop();
    for (const unsubscribe of this.unsubscribers.splice(0)) unsubscribe();
    this.listeners.clear();
  }

  /** A new opportunity ranking (the topic becomes exactly these). */
  recordRanking(opportunities: readonly OpportunityView[]): void {
    this.operations.ranking(opportunities);
    this.flusher.request();
  }

  /** A migration's latest state with all its steps. */
  recordMigration(migration: MigrationView): void {
    this.operations.migration(migration);
    this.flusher.request();
  }

  /** A rollout as just read, with its recent decisions. */
  recordRollout(rollout: RolloutView): void {
    this.operations.rollout(rollout);
    this.flusher.request();
  }

  /** The region key (`aws:eu-west-1`) of a satellite the estate knows, or empty. */
  regionKeyOf(satelliteId: string): string {
    return this.mirror.regionKeyOf(satelliteId);
  }

  /** The whole state at the current `seq`; deltas after it carry `seq + 1`, `seq + 2`, … */
  snapshot(role: DashboardRole): DashboardSnapshot {
    return {
      epoch: this.epoch,
      seq: this.seq,
      sentAtMs: Date.now(),
      session: {
        role,
        protocolVersion: DASHBOARD_PROTOCOL_VERSION,
        priceTtlMs: this.config.priceTtlMs,
        deltaIntervalMs: this.config.dashboard.deltaIntervalMs,
        priceHistoryLength: PRICE_HISTORY_LENGTH,
        rolloutDecisionsLength: ROLLOUT_DECISIONS_LENGTH,
      },
      topics: { ...this.mirror.snapshot(), ...this.operations.snapshot() },
    };
  }

  /** Adds a delta listener; the returned function removes it. */
  onDelta(listener: DeltaListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private flush(): void {
    const estate = this.mirror.takeChanges();
    const operations = this.operations.takeChanges();
    if (!estate && !operations) return;
    const changes: DashboardChanges = { ...estate, ...operations };
    this.seq += 1;
    const delta: DashboardDelta = { epoch: this.epoch, seq: this.seq, sentAtMs: Date.now(), changes };
    let count = 0;
    for (const topic of Object.values(changes)) count += (topic.upsert?.length ?? 0) + (topic.remove?.length ?? 0);
    this.metrics.deltas.inc();
    this.metrics.deltaChanges.observe(count);
    // The interval as it stood for this batch (the flusher updates it once the emits are done).
    this.metrics.deltaInterval.set(this.flusher.intervalMs / 1_000);
    for (const listener of this.listeners) {
      try {
        listener(delta);
      } catch (error) {
        this.logger.warn({ err: String(error) }, "dashboard delta listener failed");
      }
    }
  }
}
