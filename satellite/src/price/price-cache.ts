import type { FetchedPrice } from "./live-price-fetcher.js";

/** A region's live prices as last read from its pricing API. */
export interface CachedPrices {
  /** When the API answered them, ms since the epoch. */
  fetchedAtMs: number;
  prices: FetchedPrice[];
}

/**
 * Where live prices are kept between refreshes, so a restarted satellite (or several satellites of
 * one region sharing a Redis) do not ask a rate-limited API again before the refresh interval.
 */
export interface PriceCache {
  readonly kind: "memory" | "redis";
  get(key: string): Promise<CachedPrices | undefined>;
  /** Stores `value` for `ttlMs`; after that `get` answers undefined. */
  set(key: string, value: CachedPrices, ttlMs: number): Promise<void>;
  close(): Promise<void>;
}

/** A process-local cache with the same TTL semantics as the Redis one. */
export function createMemoryPriceCache(nowMs: () => number = Date.now): PriceCache {
  const entries = new Map<string, { value: CachedPrices; expiresAtMs: number }>();
  return {
    kind: "memory",
    async get(key) {
      const entry = entries.get(key);
      if (entry === undefined) return undefined;
      if (entry.expiresAtMs <= nowMs()) {
        entries.delete(key);
        return undefined;
      }
      return structuredClone(entry.value);
    },
    async set(key, value, ttlMs) {
      entries.set(key, { value: structuredClone(value), expiresAtMs: nowMs() + ttlMs });
    },
    async close() {
      entries.clear();
    },
  };
}

/** Parses what {@link PriceCache.set} stored; undefined for anything else (never throws). */
export function parseCachedPrices(text: string | null): CachedPrices | undefined {
  if (text === null) return undefined;
  try {
    const value = JSON.parse(text) as Partial<CachedPrices>;
    if (typeof value.fetchedAtMs !== "number" || !Array.isArray(value.prices)) return undefined;
    const prices = value.prices.filter(
      (price): price is FetchedPrice =>
        typeof price?.instanceType === "string" &&
        typeof price.zone === "string" &&
        typeof price.usdPerHour === "number" &&
        price.usdPerHour > 0,
    );
    return { fetchedAtMs: value.fetchedAtMs, prices };
  } catch {
    return undefined;
  }
}
