import type { Satellite } from "@sentra/proto";
import type { EstateStore } from "../estate/estate-store.js";
import type { EstateSnapshot } from "./arbitrage-estate-adapter.js";

/** Injection token of the reader the periodic ranking uses: satellites from the live in-memory index. */
export const LIVE_ESTATE_SNAPSHOT_READER = Symbol("LiveEstateSnapshotReader");

/**
 * Reads the estate's hot state (satellites, current prices, inventories) at one instant: from
 * Redis (dry runs: a move is checked against the shared record), or with the satellites from
 * another source (the periodic ranking: `LiveEstate`, which reads Redis only to reconcile).
 */
export class EstateSnapshotReader {
  constructor(
    private readonly store: EstateStore,
    private readonly now: () => number = Date.now,
    private readonly readSatellites: (nowMs: number) => Promise<Satellite[]> = (nowMs) => store.satellites(nowMs),
  ) {}

  async snapshot(): Promise<EstateSnapshot> {
    const nowMs = this.now();
    const [satellites, prices] = await Promise.all([this.readSatellites(nowMs), this.store.currentPrices()]);
    // Stale satellites' inventories too (they expire on their own): the dry run then says the
    // source is not live, rather than that the workload does not exist. Only satellites with a
    // gRPC endpoint have one (inventories are pulled over it).
    const workloads = await this.store.workloads(
      satellites.filter((satellite) => satellite.grpcEndpoint).map((satellite) => satellite.id),
    );
    return { nowMs, satellites, prices, workloads };
  }
}
