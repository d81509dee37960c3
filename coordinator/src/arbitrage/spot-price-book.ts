import type { SpotPriceRow } from "@sentra/common";
import type { RegionRef } from "./region-market.js";

/**
 * The prices in force at one instant of a replay. Every series (zone × type × product) is a step
 * function: a row's price holds until the next row of the same series. That is the meaning of AWS
 * `DescribeSpotPriceHistory` rows (one per change); GCP weekly observations and Azure daily
 * records are held the same way until the next one.
 *
 * A region's price for a type is the cheapest of its zones' current prices, because a satellite
 * launches spot capacity in whichever zone of its region is cheapest.
 */
export interface SpotPriceBook {
  /** Changes whenever a price changes. */
  readonly version: number;
  /** Applies one row; returns whether a price changed. */
  apply(row: SpotPriceRow): boolean;
  /** Regions that have at least one price. */
  regions(): readonly RegionRef[];
  /** Cheapest zone price per instance type in a region, USD per hour. */
  regionPrices(ref: RegionRef): ReadonlyMap<string, number>;
  /** Number of series seen. */
  readonly seriesCount: number;
}

/** Creates an empty {@link SpotPriceBook}. */
export function createSpotPriceBook(): SpotPriceBook {
  // region key → instance type → "zone|product" → price
  const byRegion = new Map<string, { ref: RegionRef; types: Map<string, Map<string, number>> }>();
  const cheapest = new Map<string, Map<string, number>>();
  let version = 0;
  let seriesCount = 0;

  return {
    get version() {
      return version;
    },
    get seriesCount() {
      return seriesCount;
    },
    apply(row) {
      const key = `${row.cloud}:${row.region}`;
      let region = byRegion.get(key);
      if (region === undefined) {
        region = { ref: { cloud: row.cloud, region: row.region }, types: new Map() };
        byRegion.set(key, region);
      }
      let series = region.types.get(row.instanceType);
      if (series === undefined) {
        series = new Map();
        region.types.set(row.instanceType, series);
      }
      const seriesKey = `${row.zone}|${row.product}`;
      const previous = series.get(seriesKey);
      if (previous === undefined) seriesCount++;
      if (previous === row.usdPerHour) return false;
      series.set(seriesKey, row.usdPerHour);
      cheapest.delete(key);
      version++;
      return true;
    },
    regions() {
      return [...byRegion.values()].map((r) => r.ref);
    },
    regionPrices(ref) {
      const key = `${ref.cloud}:${ref.region}`;
      const cached = cheapest.get(key);
      if (cached !== undefined) return cached;
      const result = new Map<string, number>();
      for (const [type, series] of byRegion.get(key)?.types ?? []) {
        result.set(type, Math.min(...series.values()));
      }
      cheapest.set(key, result);
      return result;
    },
  };
}
