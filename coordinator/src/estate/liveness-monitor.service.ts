import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from "@nestjs/common";
import type { Logger } from "@sentra/common";
import { Liveness } from "@sentra/proto";
import { COORDINATOR_CONFIG, type CoordinatorConfig, LOGGER } from "../config/coordinator-config.js";
import { CoordinatorMetrics } from "../metrics/coordinator-metrics.js";
import { EstateEvents } from "./estate-events.js";
import { EstateStore } from "./estate-store.js";
import { SatelliteRecorder } from "./satellite-recorder.js";

/** @default 500 — how often liveness is re-judged; well under one heartbeat interval. */
const LIVENESS_CHECK_INTERVAL_MS = 500;
/** @default 20 — transitions logged one by one per check; beyond, one line with the count. */
const TRANSITIONS_LOGGED_EACH = 20;
/** @default 60000 — how often forgotten satellites are looked for (at most). */
const RETENTION_CHECK_INTERVAL_MS = 60_000;
/** @default 1000 — satellites forgotten per Redis call. */
const FORGET_BATCH = 1_000;

/**
 * Judges satellite liveness over time from Redis, which every replica shares: each heartbeat
 * moves its satellite's stale deadline (`sat-stale-at`), so a check is one range query for the
 * deadlines passed — its cost follows the stale satellites, not the estate. Each live ↔ stale
 * transition is an estate event on this replica and a MySQL write (idempotent across replicas);
 * a satellite that leaves the stale set because it was forgotten is announced as such. Satellites
 * not seen for the retention time are forgotten here too. Reads judge liveness themselves, so this
 * is never the only source of truth.
 */
@Injectable()
export class LivenessMonitor implements OnApplicationBootstrap, OnModuleDestroy {
  private stale = new Set<string>();
  private started = false;
  private timer: NodeJS.Timeout | undefined;
  private checking = false;
  private lastRetentionMs = 0;

  constructor(
    private readonly store: EstateStore,
    private readonly recorder: SatelliteRecorder,
    private readonly metrics: CoordinatorMetrics,
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly events: EstateEvents,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.check(), LIVENESS_CHECK_INTERVAL_MS);
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  async check(nowMs = Date.now()): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      await this.forgetLongGone(nowMs);
      const { stale, known } = await this.store.staleSatelliteIds(nowMs);
      const current = new Set(stale);
      const newlyStale = stale.filter((id) => !this.stale.has(id));
      const leftStale = [...this.stale].filter((id) => !current.has(id));
      const stillKnown = await this.store.knownSatelliteIds(leftStale);
      const returned = leftStale.filter((id) => stillKnown.has(id));
      const forgotten = leftStale.filter((id) => !stillKnown.has(id));
      this.stale = current;
      for (const id of newlyStale) {
        this.events.publish("livenessChanged", { satelliteId: id, liveness: Liveness.STALE });
        this.recorder.markLiveness(id, Liveness.STALE);
      }
      for (const id of returned) {
        this.events.publish("livenessChanged", { satelliteId: id, liveness: Liveness.LIVE });
        this.recorder.markLiveness(id, Liveness.LIVE);
      }
      for (const id of forgotten) this.events.publish("satelliteForgotten", { satelliteId: id });
      // The first check only learns what is stale already; it is not a transition worth a line each.
      if (this.started) {
        this.logTransitions("stale", newlyStale);
        this.logTransitions("live", returned);
      } else if (stale.length > 0) {
        this.logger.info({ stale: stale.length }, "stale satellites at start");
      }
      this.started = true;
      this.metrics.satellites.set({ liveness: "live" }, known - stale.length);
      this.metrics.satellites.set({ liveness: "stale" }, stale.length);
    } catch (error) {
      this.logger.error({ err: String(error) }, "liveness check failed");
    } finally {
      this.checking = false;
    }
  }

  /** Forgets satellites not seen for the retention time; only the replica that removed them records it. */
  private async forgetLongGone(nowMs: number): Promise<void> {
    const retentionMs = this.config.ingest.satelliteRetentionMs;
    if (retentionMs <= 0 || nowMs - this.lastRetentionMs < Math.min(RETENTION_CHECK_INTERVAL_MS, retentionMs / 4)) {
      return;
    }
    this.lastRetentionMs = nowMs;
    for (;;) {
      const ids = await this.store.forgetSatellitesSeenBefore(nowMs - retentionMs, FORGET_BATCH);
      if (ids.length === 0) return;
      this.metrics.satellitesForgotten.inc(ids.length);
      this.recorder.markRetired(ids, nowMs);
      this.logger.info(
        { forgotten: ids.length, satelliteIds: ids.slice(0, TRANSITIONS_LOGGED_EACH), retentionS: retentionMs / 1000 },
        "satellites not seen for the retention time forgotten",
      );
      if (ids.length < FORGET_BATCH) return;
    }
  }

  private logTransitions(liveness: "stale" | "live", ids: readonly string[]): void {
    if (ids.length === 0) return;
    if (ids.length <= TRANSITIONS_LOGGED_EACH) {
      for (const satelliteId of ids) this.logger.warn({ satelliteId, liveness }, "satellite liveness changed");
      return;
    }
    this.logger.warn(
      { liveness, satellites: ids.length, satelliteIds: ids.slice(0, TRANSITIONS_LOGGED_EACH) },
      "satellites' liveness changed",
    );
  }
}
