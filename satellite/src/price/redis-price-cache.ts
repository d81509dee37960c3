import { redactUrl, SentraError } from "@sentra/common";
import { Redis } from "ioredis";
import { type CachedPrices, type PriceCache, parseCachedPrices } from "./price-cache.js";

/** @default 2000 — a Redis that does not answer within this long is skipped for this refresh. */
export const REDIS_PRICE_CACHE_TIMEOUT_MS = 2_000;

/**
 * The live price cache in Redis (`SENTRA_REDIS_URL`): one JSON value per (API, region, instance
 * types) under `<prefix>price-cache:…`, written with `SET … PX <ttl>`, so Redis drops it when it
 * is too old to quote. Several satellites of one region sharing the Redis read the API once per
 * refresh interval between them; a restarted satellite quotes at once.
 */
export function createRedisPriceCache(url: string, prefix: string): PriceCache {
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: true,
    maxRetriesPerRequest: 1,
    commandTimeout: REDIS_PRICE_CACHE_TIMEOUT_MS,
    connectTimeout: REDIS_PRICE_CACHE_TIMEOUT_MS,
  });
  // Connection errors surface on the commands (the cache is skipped, the API is read); no crash.
  redis.on("error", () => undefined);
  const wrap = async <T>(what: string, call: () => Promise<T>): Promise<T> => {
    try {
      if (redis.status === "wait") await redis.connect();
      return await call();
    } catch (error) {
      throw new SentraError(
        "UNAVAILABLE",
        `price cache at ${redactUrl(url)}: ${what} failed: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
  };
  return {
    kind: "redis",
    get: (key) => wrap("GET", async () => parseCachedPrices(await redis.get(`${prefix}price-cache:${key}`))),
    set: (key, value: CachedPrices, ttlMs) =>
      wrap("SET", async () => {
        await redis.set(`${prefix}price-cache:${key}`, JSON.stringify(value), "PX", Math.max(1, Math.round(ttlMs)));
      }),
    async close() {
      redis.disconnect();
    },
  };
}
