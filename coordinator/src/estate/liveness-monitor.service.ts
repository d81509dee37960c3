import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from "@nestjs/common";
import type { Logger } from "@sentra/common";
import { Liveness } from "@sentra/proto";
import { LOGGER } from "../config/coordinator-config.js";
import { CoordinatorMetrics } from "../metrics/coordinator-metrics.js";
import { EstateEvents } from "./estate-events.js";
import { EstateStore } from "./estate-store.js";
import { SatelliteRecordRepository } from "./satellite-record.repository.js";

/** @default 500 — how often liveness is re-judged; well under one heartbeat interval. */
const LIVENESS_CHECK_INTERVAL_MS = 500;

/**
 * Judges satellite liveness over time: logs and records each live ↔ stale transition in MySQL
 * and keeps the satellites gauge current. Reads judge liveness themselves, so this is never the
 * only source of truth.
 */
@Injectable()
export class LivenessMonitor implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly known = new Map<string, Liveness>();
  /** Satellites whose row this replica has written to MySQL since it started. */
  private readonly recorded = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private checking = false;

  constructor(
    private readonly store: EstateStore,
    private readonly records: SatelliteRecordRepository,
    private readonly metrics: CoordinatorMetrics,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly events: EstateEvents,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.check(), LIVENESS_CHECK_INTERVAL_MS);
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** A heartbeat arrived: new or returning satellites are recorded at once. */
  async onHeartbeat(satelliteId: string, firstSeen: boolean): Promise<void> {
    if (!firstSeen && this.known.get(satelliteId) === Liveness.LIVE && this.recorded.has(satelliteId)) return;
    const satellite = await this.store.satellite(satelliteId, Date.now());
    if (!satellite) return;
    // Remembered only once MySQL has it: a failed upsert is retried at the next heartbeat.
    await this.records.upsert(satellite, Date.now());
    this.recorded.add(satelliteId);
    this.known.set(satelliteId, Liveness.LIVE);
    this.logger.info(
      { satelliteId, region: satellite.region?.name },
      firstSeen ? "satellite joined" : "satellite live",
    );
  }

  async check(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      const satellites = await this.store.satellites(Date.now());
      let live = 0;
      for (const satellite of satellites) {
        if (satellite.liveness === Liveness.LIVE) live++;
        const previous = this.known.get(satellite.id);
        if (previous === satellite.liveness) continue;
        this.known.set(satellite.id, satellite.liveness);
        this.events.publish("livenessChanged", { satelliteId: satellite.id, liveness: satellite.liveness });
        if (previous !== undefined || satellite.liveness === Liveness.STALE) {
          this.logger.warn(
            { satelliteId: satellite.id, liveness: Liveness[satellite.liveness] },
            "satellite liveness changed",
          );
          await this.records.markLiveness(satellite.id, satellite.liveness);
        }
      }
      this.metrics.satellites.set({ liveness: "live" }, live);
      this.metrics.satellites.set({ liveness: "stale" }, satellites.length - live);
    } catch (error) {
      this.logger.error({ err: String(error) }, "liveness check failed");
    } finally {
      this.checking = false;
    }
  }
}
