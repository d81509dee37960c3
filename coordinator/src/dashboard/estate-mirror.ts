import type {
  DashboardChanges,
  DashboardTopics,
  LivenessView,
  PricePoint,
  PriceSeriesView,
  SatelliteView,
  WorkloadView,
} from "@sentra/common";
import {
  type HealthSummary,
  msOf,
  type PriceSnapshot,
  type Satellite,
  type SpotPrice,
  type Workload,
} from "@sentra/proto";
import {
  priceSeriesKey,
  refreshSatelliteView,
  regionKey,
  sameWorkload,
  satelliteViewFromHeartbeat,
  satelliteViewFromRecord,
  toPriceSourceView,
  toWorkloadView,
} from "./dashboard-views.js";

/** The topics this mirror holds. */
export type EstateTopic = "satellites" | "prices" | "workloads";

/** What the estate store holds at start-up, to seed a mirror that has not heard anything yet. */
export interface EstateSeed {
  satellites: readonly Satellite[];
  prices: readonly SpotPrice[];
  workloads: readonly Workload[];
  nowMs: number;
}

/** Keys changed since the last `takeChanges()`, per topic. */
interface PendingChanges {
  satellites: Set<string>;
  satelliteRemovals: Set<string>;
  /** Series key → points observed since the last take. */
  prices: Map<string, PricePoint[]>;
  workloadUpserts: Set<string>;
  workloadRemovals: Set<string>;
}

/**
 * The dashboard's in-memory copy of the live estate, fed by estate events, and the changes since
 * the last delta, coalesced per key. Snapshots and deltas both come from here, so a snapshot is
 * always consistent with the deltas that follow it. Plain code (no I/O, no clock) for unit tests.
 */
export class EstateMirror {
  private readonly satellites = new Map<string, SatelliteView>();
  /** Each series with its whole history (`points`, at most `historyLength`). */
  private readonly prices = new Map<string, PriceSeriesView>();
  private readonly workloads = new Map<string, WorkloadView>();
  private readonly workloadKeysBySatellite = new Map<string, Set<string>>();
  private pending: PendingChanges = emptyPending();

  /** @param historyLength points kept per price series */
  constructor(private readonly historyLength: number) {}

  heartbeat(health: HealthSummary, receivedAtMs: number): void {
    const current = this.satellites.get(health.satelliteId);
    if (current === undefined || !refreshSatelliteView(current, health, receivedAtMs)) {
      this.satellites.set(health.satelliteId, satelliteViewFromHeartbeat(health, receivedAtMs));
    }
    this.pending.satelliteRemovals.delete(health.satelliteId);
    this.pending.satellites.add(health.satelliteId);
  }

  liveness(satelliteId: string, liveness: LivenessView): void {
    const satellite = this.satellites.get(satelliteId);
    if (!satellite || satellite.liveness === liveness) return;
    this.satellites.set(satelliteId, { ...satellite, liveness });
    this.pending.satellites.add(satelliteId);
  }

  /** A satellite the estate forgot (not seen for the retention time): gone from the page, with its workloads. */
  forgetSatellite(satelliteId: string): void {
    if (this.satellites.delete(satelliteId)) {
      this.pending.satellites.delete(satelliteId);
      this.pending.satelliteRemovals.add(satelliteId);
    }
    this.workloadInventory(satelliteId, []);
    this.workloadKeysBySatellite.delete(satelliteId);
  }

  /** A price snapshot: the cheapest zone per instance type becomes the series' latest point. */
  priceSnapshot(snapshot: PriceSnapshot, receivedAtMs: number): void {
    for (const price of cheapestPerInstanceType(snapshot.prices)) this.recordPrice(price, receivedAtMs);
  }

  /** A satellite's whole inventory: workloads it no longer reports are removed. */
  workloadInventory(satelliteId: string, workloads: readonly Workload[]): void {
    const previousKeys = this.workloadKeysBySatellite.get(satelliteId) ?? new Set<string>();
    const keys = new Set<string>();
    for (const workload of workloads) {
      const view = toWorkloadView(workload, satelliteId);
      keys.add(view.key);
      const current = this.workloads.get(view.key);
      this.workloads.set(view.key, view);
      if (current && sameWorkload(current, view)) continue;
      this.pending.workloadRemovals.delete(view.key);
      this.pending.workloadUpserts.add(view.key);
    }
    for (const key of previousKeys) {
      if (keys.has(key)) continue;
      this.workloads.delete(key);
      this.pending.workloadUpserts.delete(key);
      this.pending.workloadRemovals.add(key);
    }
    this.workloadKeysBySatellite.set(satelliteId, keys);
  }

  /** Fills in what the store knew before this process listened; never overwrites newer news. */
  seed(seed: EstateSeed): void {
    for (const satellite of seed.satellites) {
      if (this.satellites.has(satellite.id)) continue;
      this.satellites.set(satellite.id, satelliteViewFromRecord(satellite));
      this.pending.satellites.add(satellite.id);
    }
    for (const price of seed.prices) {
      if (this.prices.has(priceSeriesKey(price.cloud, price.region, price.instanceType))) continue;
      this.recordPrice(price, msOf(price.observedAt) || seed.nowMs);
    }
    const bySatellite = new Map<string, Workload[]>();
    for (const workload of seed.workloads) {
      const satelliteId = workload.ref?.satelliteId ?? "";
      if (this.workloadKeysBySatellite.has(satelliteId)) continue;
      bySatellite.set(satelliteId, [...(bySatellite.get(satelliteId) ?? []), workload]);
    }
    for (const [satelliteId, workloads] of bySatellite) this.workloadInventory(satelliteId, workloads);
  }

  /** The region key of a known satellite, or empty. */
  regionKeyOf(satelliteId: string): string {
    return this.satellites.get(satelliteId)?.region.key ?? "";
  }

  /** The estate's topics in full (price series with their whole history). */
  snapshot(): { [K in EstateTopic]: DashboardTopics[K][] } {
    return {
      satellites: [...this.satellites.values()],
      prices: [...this.prices.values()],
      workloads: [...this.workloads.values()],
    };
  }

  /** The changes since the last call, one entry per key, or undefined when nothing changed. */
  takeChanges(): Pick<DashboardChanges, EstateTopic> | undefined {
    const pending = this.pending;
    this.pending = emptyPending();
    const changes: Pick<DashboardChanges, EstateTopic> = {};
    if (pending.satellites.size > 0 || pending.satelliteRemovals.size > 0) {
      changes.satellites = {};
      if (pending.satellites.size > 0) {
        changes.satellites.upsert = [...pending.satellites].flatMap((id) => this.satellites.get(id) ?? []);
      }
      if (pending.satelliteRemovals.size > 0) changes.satellites.remove = [...pending.satelliteRemovals];
    }
    if (pending.prices.size > 0) {
      changes.prices = {
        upsert: [...pending.prices].flatMap(([key, points]) => {
          const series = this.prices.get(key);
          return series ? [{ ...series, points }] : [];
        }),
      };
    }
    if (pending.workloadUpserts.size > 0 || pending.workloadRemovals.size > 0) {
      changes.workloads = {};
      if (pending.workloadUpserts.size > 0) {
        changes.workloads.upsert = [...pending.workloadUpserts].flatMap((key) => this.workloads.get(key) ?? []);
      }
      if (pending.workloadRemovals.size > 0) changes.workloads.remove = [...pending.workloadRemovals];
    }
    return Object.keys(changes).length > 0 ? changes : undefined;
  }

  private recordPrice(price: SpotPrice, receivedAtMs: number): void {
    const key = priceSeriesKey(price.cloud, price.region, price.instanceType);
    const point: PricePoint = [receivedAtMs, price.usdPerHour];
    const previous = this.prices.get(key);
    const points = previous ? [...previous.points, point] : [point];
    if (points.length > this.historyLength) points.splice(0, points.length - this.historyLength);
    this.prices.set(key, {
      key,
      regionKey: regionKey(price.cloud, price.region),
      instanceType: price.instanceType,
      zone: price.zone,
      vcpus: price.vcpus,
      memoryGib: price.memoryGib,
      usdPerHour: price.usdPerHour,
      observedAtMs: msOf(price.observedAt),
      receivedAtMs,
      source: toPriceSourceView(price.source),
      points,
    });
    const pendingPoints = this.pending.prices.get(key) ?? [];
    pendingPoints.push(point);
    if (pendingPoints.length > this.historyLength) pendingPoints.shift();
    this.pending.prices.set(key, pendingPoints);
  }
}

function emptyPending(): PendingChanges {
  return {
    satellites: new Set(),
    satelliteRemovals: new Set(),
    prices: new Map(),
    workloadUpserts: new Set(),
    workloadRemovals: new Set(),
  };
}

/** Keeps the cheapest zone of each instance type (the price a migration would pay). */
function cheapestPerInstanceType(prices: readonly SpotPrice[]): SpotPrice[] {
  const cheapest = new Map<string, SpotPrice>();
  for (const price of prices) {
    const current = cheapest.get(price.instanceType);
    if (!current || price.usdPerHour < current.usdPerHour) cheapest.set(price.instanceType, price);
  }
  return [...cheapest.values()];
}
