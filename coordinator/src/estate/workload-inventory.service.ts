import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from "@nestjs/common";
import type { Logger } from "@sentra/common";
import { COORDINATOR_CONFIG, type CoordinatorConfig, LOGGER } from "../config/coordinator-config.js";
import { CoordinatorMetrics } from "../metrics/coordinator-metrics.js";
import { EstateEvents } from "./estate-events.js";
import { EstateStore } from "./estate-store.js";
import { SatelliteClientPool } from "./satellite-client-pool.js";

/**
 * Pulls each live satellite's workload inventory over gRPC on an interval and keeps it in Redis,
 * expiring with three missed pulls, so a satellite that goes away takes its workloads with it.
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
    this.timer = setInterval(() => void this.sync(), this.config.inventorySyncIntervalMs);
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
    this.clients.close();
  }

  sync(): Promise<void> {
    this.inFlight ??= this.pull().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async pull(): Promise<void> {
    try {
      const satellites = await this.store.liveSatellites(Date.now());
      await Promise.all(
        satellites
          .filter((satellite) => satellite.grpcEndpoint)
          .map(async (satellite) => {
            try {
              const response = await this.clients.get(satellite.id, satellite.grpcEndpoint).listWorkloads({});
              await this.store.recordWorkloads(
                satellite.id,
                response.workloads,
                this.config.inventorySyncIntervalMs * 3,
              );
              this.events.publish("workloadsChanged", {
                satelliteId: satellite.id,
                workloads: response.workloads,
                receivedAtMs: Date.now(),
              });
            } catch (error) {
              this.metrics.inventorySyncErrors.inc({ satellite_id: satellite.id });
              this.logger.warn({ satelliteId: satellite.id, err: String(error) }, "workload inventory pull failed");
            }
          }),
      );
    } catch (error) {
      this.logger.warn({ err: String(error) }, "workload inventory pull failed");
    }
  }
}
