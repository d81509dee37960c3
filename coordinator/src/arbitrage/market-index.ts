import { type InstanceChoice, selectInstance, type WorkloadShape } from "./cost-model.js";
import { type InstancePrice, type RegionMarket, type RegionRef, regionKey } from "./region-market.js";

/** A market the arbitrage may use right now: live satellite, only its fresh prices. */
export interface UsableMarket {
  readonly market: RegionMarket;
  /** `cloud:region`. */
  readonly key: string;
  /** Prices no older than the TTL. */
  readonly freshPrices: readonly InstancePrice[];
  /** The instance a workload of this shape runs on here (memoised per shape), or null if none fits. */
  choose(shape: WorkloadShape): InstanceChoice | null;
}

/** Why a region cannot be used, for refusals that say what to fix. */
export type MarketProblem =
  | { readonly kind: "unknown-region" }
  | { readonly kind: "satellite-not-live"; readonly satelliteId: string }
  | { readonly kind: "no-fresh-price"; readonly newestAgeSeconds: number | null; readonly ttlSeconds: number };

/** The markets of one decision instant, filtered once so every workload reuses the work. */
export interface MarketIndex {
  readonly nowMs: number;
  readonly priceTtlMs: number;
  /** Usable markets in input order. */
  readonly usable: readonly UsableMarket[];
  /** The usable market a workload runs in now: its own satellite's market, else its region's. */
  sourceOf(workload: RegionRef & { readonly satelliteId: string }): UsableMarket | undefined;
  /** Usable markets of a region. */
  inRegion(ref: RegionRef): readonly UsableMarket[];
  /** Why a region has no usable price for a shape (after `choose` returned null or the region is missing). */
  explain(ref: RegionRef, shape: WorkloadShape): MarketProblem | { readonly kind: "nothing-fits" };
}

function shapeKey(shape: WorkloadShape): string {
  return `${shape.cpuMillicores}|${shape.memoryBytes}|${shape.instanceType ?? ""}`;
}

function createUsableMarket(market: RegionMarket, freshPrices: readonly InstancePrice[]): UsableMarket {
  // Why memoise: estates repeat a handful of request shapes, and 10,000 workloads × 20 regions
  // must be ranked in well under a second.
  const cache = new Map<string, InstanceChoice | null>();
  return {
    market,
    key: regionKey(market),
    freshPrices,
    choose(shape) {
      const key = shapeKey(shape);
      const cached = cache.get(key);
      if (cached !== undefined) return cached;
      const choice = selectInstance(shape, freshPrices);
      cache.set(key, choice);
      return choice;
    },
  };
}

/** Age of an observation, seconds; a timestamp from the future (clock skew) counts as age 0. */
export function priceAgeSeconds(nowMs: number, observedAtMs: number): number {
  return Math.max(0, nowMs - observedAtMs) / 1000;
}

/**
 * Filters markets for one decision instant: drops markets whose satellite is not live and prices
 * older than `priceTtlMs` (a price exactly TTL old is still fresh, as a Redis key is until it expires).
 */
export function createMarketIndex(markets: readonly RegionMarket[], nowMs: number, priceTtlMs: number): MarketIndex {
  const usable: UsableMarket[] = [];
  const byKey = new Map<string, UsableMarket[]>();
  const all = new Map<string, RegionMarket[]>();
  for (const market of markets) {
    const key = regionKey(market);
    const list = all.get(key);
    if (list === undefined) all.set(key, [market]);
    else list.push(market);
    if (!market.live) continue;
    const fresh = market.prices.filter((price) => nowMs - price.observedAtMs <= priceTtlMs);
    if (fresh.length === 0) continue;
    const entry = createUsableMarket(market, fresh);
    usable.push(entry);
    const same = byKey.get(key);
    if (same === undefined) byKey.set(key, [entry]);
    else same.push(entry);
  }

  return {
    nowMs,
    priceTtlMs,
    usable,
    sourceOf(workload) {
      const candidates = byKey.get(regionKey(workload));
      if (candidates === undefined) return undefined;
      return candidates.find((m) => m.market.satelliteId === workload.satelliteId) ?? candidates[0];
    },
    inRegion(ref) {
      return byKey.get(regionKey(ref)) ?? [];
    },
    explain(ref, shape) {
      const raw = all.get(regionKey(ref));
      if (raw === undefined) return { kind: "unknown-region" };
      const live = raw.filter((m) => m.live);
      if (live.length === 0) return { kind: "satellite-not-live", satelliteId: raw[0]?.satelliteId ?? "" };
      const relevant = live
        .flatMap((m) => m.prices)
        .filter((p) => shape.instanceType === undefined || p.instanceType === shape.instanceType);
      const fresh = relevant.filter((p) => nowMs - p.observedAtMs <= priceTtlMs);
      if (fresh.length > 0) return { kind: "nothing-fits" };
      const newest = relevant.reduce<number | null>(
        (acc, p) => (acc === null || p.observedAtMs > acc ? p.observedAtMs : acc),
        null,
      );
      return {
        kind: "no-fresh-price",
        newestAgeSeconds: newest === null ? null : priceAgeSeconds(nowMs, newest),
        ttlSeconds: priceTtlMs / 1000,
      };
    },
  };
}
