import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from "@nestjs/common";
import type { Logger } from "@sentra/common";
import { COORDINATOR_CONFIG, type CoordinatorConfig, LOGGER } from "../config/coordinator-config.js";
import { CoordinatorMetrics } from "../metrics/coordinator-metrics.js";
import { EstateEvents } from "./estate-events.js";
import { EstateStore } from "./estate-store.js";
import { SatelliteClientPool } from "./satellite-client-pool.js";

/** @default 32 — inventory pulls in flight at once (an estate of thousands must not dial them all at once). */
const PULL_CONCURRENCY = 32;

/**
 * Pulls each live satellite's workload inventory over gRPC on an interval and keeps it in Redis,
 * expiring with three missed pulls, so a satellite that goes away takes its workloads with it.
 * Replicas share the pulls: before each timed pull a replica claims the satellite for one interval
 * in Redis (SET NX), so each satellite is asked about once per interval, whoever asks.
 */
@Injectable()
export class WorkloadInventoryService implements OnApplicationBootstrap, OnModuleDestroy {
  private timer: NodeJS.Timeout | undefined;
  /** The pull in flight: callers that need fresh data wait for it instead of starting another. */
  private inFlight: Promise<void> | undefined;

  constructor(
    private readonly store: EstateStore,
    private readonly clients: SatelliteClientPool,
    private readonly metrics: CoordinatorMetrics,
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly events: EstateEvents,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.sync(true), this.config.inventorySyncIntervalMs);
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
    this.clients.close();
  }

  /** Pulls now (a caller that needs fresh data); `shared`: only the satellites this replica claims. */
  sync(shared = false): Promise<void> {
    this.inFlight ??= this.pull(shared).finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async pull(shared: boolean): Promise<void> {
    try {
      let satellites = (await this.store.liveSatellites(Date.now())).filter((satellite) => satellite.grpcEndpoint);
      if (shared) {
        const claimed = await this.store.claimInventoryPulls(
          satellites.map((satellite) => satellite.id),
          Math.max(100, this.config.inventorySyncIntervalMs - 250),
        );
        satellites = satellites.filter((satellite) => claimed.has(satellite.id));
      }
      await forEachLimited(satellites, PULL_CONCURRENCY, async (satellite) => {
        try {
          const response = await this.clients.get(satellite.id, satellite.grpcEndpoint).listWorkloads({});
          await this.store.recordWorkloads(satellite.id, response.workloads, this.config.inventorySyncIntervalMs * 3);
          this.events.publish("workloadsChanged", {
            satelliteId: satellite.id,
            workloads: response.workloads,
            receivedAtMs: Date.now(),
          });
        } catch (error) {
          this.metrics.inventorySyncErrors.inc({ satellite_id: satellite.id });
          this.logger.warn({ satelliteId: satellite.id, err: String(error) }, "workload inventory pull failed");
        }
      });
    } catch (error) {
      this.logger.warn({ err: String(error) }, "workload inventory pull failed");
    }
  }
}

/** Runs `work` over `items` with at most `limit` at once. */
async function forEachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
