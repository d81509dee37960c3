import { EstateStore } from "../estate/estate-store.js";
import type { EstateSnapshot } from "./arbitrage-estate-adapter.js";

/** Reads the estate's hot state (satellites, current prices, inventories) from Redis at one instant. */
export class EstateSnapshotReader {
  constructor(
    private readonly store: EstateStore,
    private readonly now: () => number = Date.now,
  ) {}

  async snapshot(): Promise<EstateSnapshot> {
    const nowMs = this.now();
    const [satellites, prices] = await Promise.all([this.store.satellites(nowMs), this.store.currentPrices()]);
    // Stale satellites' inventories too (they expire on their own): the dry run then says the
    // source is not live, rather than that the workload does not exist.
    const workloads = await this.store.workloads(satellites.map((satellite) => satellite.id));
    return { nowMs, satellites, prices, workloads };
  }
}
