import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from "@nestjs/common";
import type { Logger } from "@sentra/common";
import type { Satellite } from "@sentra/proto";
import { COORDINATOR_CONFIG, type CoordinatorConfig, LOGGER } from "../config/coordinator-config.js";
import { LogThrottle } from "../infrastructure/log-throttle.js";
import { CoordinatorMetrics } from "../metrics/coordinator-metrics.js";
import { EstateEvents } from "./estate-events.js";
import { EstateStore } from "./estate-store.js";
import { LiveEstate } from "./live-estate-index.js";
import { SatelliteAdmission } from "./satellite-admission.js";
import { judgeWorkload } from "./satellite-binding.js";
import { SatelliteClientPool } from "./satellite-client-pool.js";

/** @default 32 — inventory pulls in flight at once (an estate of thousands must not dial them all at once). */
const PULL_CONCURRENCY = 32;

/** @default 12 — inventory intervals between pulls of a satellite whose revision did not change (60 s by default). */
const REFRESH_INTERVALS = 12;

/**
 * Keeps each live satellite's workload inventory in Redis, pulled over gRPC. A satellite's
 * heartbeat carries its inventory revision: on each interval only the satellites whose revision
 * changed since their last pull are asked (and each every REFRESH_INTERVALS intervals regardless;
 * a satellite that sends no revision every interval), so the calls follow the changes, not the
 * estate. The others' stored inventory is kept another three intervals; a satellite that goes
 * away takes its workloads with it. Replicas share the pulls: before each timed pull a replica
 * claims the satellite for one interval in Redis (SET NX), so each is asked once, whoever asks.
 */
@Injectable()
export class WorkloadInventoryService implements OnApplicationBootstrap, OnModuleDestroy {
  private timer: NodeJS.Timeout | undefined;
  /** The pull in flight: callers that need fresh data wait for it instead of starting another. */
  private inFlight: Promise<void> | undefined;
  /** A satellite outside its binding would otherwise be warned of at every pull. */
  private readonly logThrottle = new LogThrottle();

  constructor(
    private readonly store: EstateStore,
    private readonly clients: SatelliteClientPool,
    private readonly metrics: CoordinatorMetrics,
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly events: EstateEvents,
    private readonly liveEstate: LiveEstate,
    private readonly admission: SatelliteAdmission,
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
    const intervalMs = this.config.inventorySyncIntervalMs;
    try {
      let satellites = (await this.liveEstate.liveSatellites(Date.now())).filter((satellite) => satellite.grpcEndpoint);
      if (shared) satellites = await this.changedSince(satellites);
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
          const workloads = this.withinBinding(satellite.id, response.workloads);
          // The revision seen before the pull: if the inventory changed meanwhile, the next heartbeat's differs.
          await this.store.recordWorkloads(satellite.id, workloads, intervalMs * 3, {
            value: satellite.inventoryRevision,
            ttlMs: intervalMs * REFRESH_INTERVALS,
          });
          this.metrics.inventoryPulls.inc({ outcome: "pulled" });
          this.events.publish("workloadsChanged", {
            satelliteId: satellite.id,
            workloads,
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

  /**
   * The workloads a satellite may speak for: in its bound clusters, cloud and region, under its
   * own id. The rest are left out (counted, logged): a satellite cannot place another's workloads,
   * or workloads in a region it is not in, before the arbitrage. Without a binding (being rebound): none.
   */
  private withinBinding<T extends Parameters<typeof judgeWorkload>[1]>(satelliteId: string, workloads: T[]): T[] {
    const binding = this.admission.bindingOf(satelliteId);
    const kept: T[] = [];
    let rejected = 0;
    for (const workload of workloads) {
      const verdict = binding ? judgeWorkload(binding, workload) : "unbound";
      if (verdict === "admit") kept.push(workload);
      else {
        rejected++;
        this.metrics.inventoryRejected.inc({ reason: verdict });
      }
    }
    if (rejected === 0) return kept;
    const { log, suppressed } = this.logThrottle.admit(satelliteId);
    if (log) {
      this.logger.warn(
        {
          satelliteId,
          rejected,
          kept: kept.length,
          bound: binding ? { cloud: binding.cloud, region: binding.region, clusters: binding.clusters } : null,
          suppressed,
        },
        "satellite reported workloads outside its binding; left out",
      );
    }
    return kept;
  }

  /**
   * The satellites to pull: no revision sent, a revision other than the one last pulled (or that
   * one's refresh due), or stored workloads gone. The rest keep theirs another three intervals.
   */
  private async changedSince(satellites: readonly Satellite[]): Promise<Satellite[]> {
    const pulled = await this.store.pulledInventoryRevisions(satellites.map((satellite) => satellite.id));
    const due: Satellite[] = [];
    const unchanged: Satellite[] = [];
    satellites.forEach((satellite, index) => {
      const revision = satellite.inventoryRevision;
      (revision !== "" && pulled[index] === revision ? unchanged : due).push(satellite);
    });
    const expired = new Set(
      await this.store.extendWorkloads(
        unchanged.map((satellite) => satellite.id),
        this.config.inventorySyncIntervalMs * 3,
      ),
    );
    this.metrics.inventoryPulls.inc({ outcome: "unchanged" }, unchanged.length - expired.size);
    return [...due, ...unchanged.filter((satellite) => expired.has(satellite.id))];
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
