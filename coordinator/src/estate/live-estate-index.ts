import { create } from "@bufbuild/protobuf";
import {
  type ClusterHealth,
  type HealthSummary,
  Liveness,
  msOf,
  type Region,
  type Satellite,
  SatelliteSchema,
  type SatelliteStatus,
  timestampFromMs,
} from "@sentra/proto";
import { livenessOf } from "../estate/liveness.js";

/** What the index keeps of one satellite: refreshed in place, heartbeat after heartbeat. */
interface IndexedSatellite {
  readonly id: string;
  region: Region | undefined;
  status: SatelliteStatus;
  lastSeenMs: number;
  heartbeatIntervalMs: number;
  clusters: ClusterHealth[];
  version: string;
  grpcEndpoint: string;
  inventoryRevision: string;
}

/**
 * Every satellite this replica knows, in memory, as the opportunity ranking needs it (region,
 * clusters, liveness, endpoint), fed by the estate's own events (this replica's ingest and what
 * the other replicas announce) and seeded and reconciled from Redis.
 *
 * Why: the ranking is recomputed every 5 s. Reading it from Redis decoded every satellite's last
 * heartbeat each time — 10,000 protobuf decodes and Satellite objects per ranking, built while
 * the reply streamed in, so they outlived young-generation collections and died in V8's old space;
 * that periodic churn, not ingest, was most of the coordinator's heap growth (RSS) at 10,000
 * satellites. Here each satellite is one long-lived record updated in place; a snapshot builds its
 * Satellite messages synchronously, so they die young. Dry runs before a migration still read
 * Redis (`EstateSnapshotReader`): a decision to move is checked against the shared record.
 */
export class LiveEstateIndex {
  private readonly satellites = new Map<string, IndexedSatellite>();

  /** A heartbeat applied by any replica (`receivedAtMs` on the applying replica's clock). */
  heartbeat(health: HealthSummary, receivedAtMs: number): void {
    const entry = this.satellites.get(health.satelliteId);
    if (entry === undefined) {
      this.satellites.set(health.satelliteId, {
        id: health.satelliteId,
        region: health.region,
        status: health.status,
        lastSeenMs: receivedAtMs,
        heartbeatIntervalMs: health.heartbeatIntervalMs,
        clusters: health.clusters,
        version: health.version,
        grpcEndpoint: health.grpcEndpoint,
        inventoryRevision: health.inventoryRevision,
      });
      return;
    }
    // A relayed heartbeat can arrive after a newer local one; the newer stays.
    if (receivedAtMs < entry.lastSeenMs) return;
    entry.lastSeenMs = receivedAtMs;
    entry.status = health.status;
    entry.heartbeatIntervalMs = health.heartbeatIntervalMs;
    // Long-lived fields are swapped only when they differ, so the record keeps pointing at old objects.
    if (!sameRegion(entry.region, health.region)) entry.region = health.region;
    if (!sameClusters(entry.clusters, health.clusters)) entry.clusters = health.clusters;
    if (entry.version !== health.version) entry.version = health.version;
    if (entry.grpcEndpoint !== health.grpcEndpoint) entry.grpcEndpoint = health.grpcEndpoint;
    if (entry.inventoryRevision !== health.inventoryRevision) entry.inventoryRevision = health.inventoryRevision;
  }

  forget(satelliteId: string): void {
    this.satellites.delete(satelliteId);
  }

  /**
   * Makes the index agree with Redis' record of the estate: satellites Redis no longer knows are
   * dropped (forgotten by another replica's retention sweep), those it knows and the index does
   * not are added, and a record newer in Redis than here replaces the index's. `readAtMs`: when
   * the read began; a satellite first heard of after it is not one Redis forgot.
   */
  reconcile(satellites: readonly Satellite[], readAtMs: number): void {
    const known = new Set<string>();
    for (const satellite of satellites) {
      known.add(satellite.id);
      const lastSeenMs = satellite.lastSeenAt ? msOf(satellite.lastSeenAt) : 0;
      const entry = this.satellites.get(satellite.id);
      if (entry !== undefined && entry.lastSeenMs >= lastSeenMs) continue;
      this.satellites.set(satellite.id, {
        id: satellite.id,
        region: satellite.region,
        status: satellite.status,
        lastSeenMs,
        heartbeatIntervalMs: satellite.heartbeatIntervalMs,
        clusters: satellite.clusters,
        version: satellite.version,
        grpcEndpoint: satellite.grpcEndpoint,
        inventoryRevision: satellite.inventoryRevision,
      });
    }
    for (const [id, entry] of this.satellites) {
      if (!known.has(id) && entry.lastSeenMs < readAtMs) this.satellites.delete(id);
    }
  }

  /** Every satellite with liveness judged at `nowMs`, as `EstateStore.satellites` returns them. */
  snapshot(nowMs: number): Satellite[] {
    const satellites: Satellite[] = [];
    for (const entry of this.satellites.values()) {
      satellites.push(
        create(SatelliteSchema, {
          id: entry.id,
          region: entry.region,
          liveness: livenessOf(entry.lastSeenMs, entry.heartbeatIntervalMs || 2_000, nowMs),
          status: entry.status,
          lastSeenAt: timestampFromMs(entry.lastSeenMs),
          heartbeatIntervalMs: entry.heartbeatIntervalMs,
          clusters: entry.clusters,
          version: entry.version,
          grpcEndpoint: entry.grpcEndpoint,
          inventoryRevision: entry.inventoryRevision,
        }),
      );
    }
    return satellites;
  }

  size(): number {
    return this.satellites.size;
  }
}

function sameRegion(a: Region | undefined, b: Region | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return (
    a.cloud === b.cloud &&
    a.name === b.name &&
    a.displayName === b.displayName &&
    a.city === b.city &&
    a.latitude === b.latitude &&
    a.longitude === b.longitude
  );
}

function sameClusters(a: readonly ClusterHealth[], b: readonly ClusterHealth[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as ClusterHealth;
    const y = b[i] as ClusterHealth;
    if (
      x.cluster !== y.cluster ||
      x.reachable !== y.reachable ||
      x.workloads !== y.workloads ||
      x.desiredReplicas !== y.desiredReplicas ||
      x.readyReplicas !== y.readyReplicas ||
      x.error !== y.error
    ) {
      return false;
    }
  }
  return true;
}

/** @default 60000 — how often the index is reconciled with Redis' record of the estate. */
export const LIVE_ESTATE_RECONCILE_MS = 60_000;

/**
 * The estate's satellites for the periodic readers (opportunity ranking, inventory pulls): from
 * the in-memory {@link LiveEstateIndex}, reconciled with Redis on the first read and every
 * {@link LIVE_ESTATE_RECONCILE_MS} (a read that reconciles returns what Redis said).
 */
export class LiveEstate {
  private reconciledAtMs = Number.NEGATIVE_INFINITY;
  private reconciling: Promise<Satellite[]> | undefined;

  constructor(
    readonly index: LiveEstateIndex,
    private readonly readRecord: (nowMs: number) => Promise<Satellite[]>,
    private readonly reconcileMs = LIVE_ESTATE_RECONCILE_MS,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /** Every known satellite with liveness judged at `nowMs`. */
  async satellites(nowMs: number): Promise<Satellite[]> {
    if (this.clock() - this.reconciledAtMs < this.reconcileMs) return this.index.snapshot(nowMs);
    const readAtMs = Date.now();
    this.reconciling ??= this.readRecord(nowMs)
      .then((satellites) => {
        this.index.reconcile(satellites, readAtMs);
        this.reconciledAtMs = this.clock();
        return satellites;
      })
      .finally(() => {
        this.reconciling = undefined;
      });
    return this.reconciling;
  }

  async liveSatellites(nowMs: number): Promise<Satellite[]> {
    return (await this.satellites(nowMs)).filter((satellite) => satellite.liveness === Liveness.LIVE);
  }
}
