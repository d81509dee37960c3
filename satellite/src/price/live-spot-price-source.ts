import { createHash } from "node:crypto";
import { type Logger, SentraError } from "@sentra/common";
import { findInstanceType } from "./instance-types.js";
import { isThrottled, type LivePriceApi, type LivePriceFetcher, retryAfterMsOf } from "./live-price-fetcher.js";
import type { CachedPrices, PriceCache } from "./price-cache.js";
import type { SpotPriceQuote, SpotPriceSource } from "./spot-price-source.js";

/** @default 300000 (5 min) — AWS spot prices change several times a day; one call per refresh. */
export const DEFAULT_AWS_PRICE_REFRESH_INTERVAL_MS = 300_000;
/** @default 3600000 (1 h) — GCP and Azure change spot prices at most daily, and their listings are large. */
export const DEFAULT_CATALOG_PRICE_REFRESH_INTERVAL_MS = 3_600_000;
/** @default 15000 — first retry after a failed refresh; doubles per failure up to the refresh interval. */
export const PRICE_REFRESH_FAILURE_BASE_DELAY_MS = 15_000;
/** A live price is quoted only this many refresh intervals after the API last confirmed it. */
export const DEFAULT_PRICE_MAX_AGE_INTERVALS = 3;

/** How one refresh ended. */
export type RefreshOutcome = "success" | "cached" | "failure" | "throttled";

/** Metrics of the live sources, labelled by API (`aws`, `azure`, `gcp`). */
export interface LivePriceMetrics {
  refresh(api: LivePriceApi, outcome: RefreshOutcome): void;
  throttled(api: LivePriceApi): void;
  /** Seconds since the API last confirmed the prices being quoted. */
  age(api: LivePriceApi, seconds: number): void;
}

export interface LiveSpotPriceSourceOptions {
  cloud: string;
  region: string;
  /** Quoted in this order; each needs a known shape (INSTANCE_TYPES). */
  instanceTypes: readonly string[];
  fetcher: LivePriceFetcher;
  cache: PriceCache;
  /** How often the API is read (jittered ±10 %). */
  refreshIntervalMs: number;
  /**
   * Prices confirmed longer ago than this are not quoted (the coordinator then lets them expire,
   * and no migration uses them); also the cache TTL. @default 3 × refreshIntervalMs
   */
  maxAgeMs?: number;
  logger: Logger;
  metrics?: LivePriceMetrics;
  /** @default Date.now */
  nowMs?: () => number;
  /** @default Math.random */
  random?: () => number;
}

/** A spot price source fed by a cloud's pricing API, refreshed in the background. */
export interface LiveSpotPriceSource extends SpotPriceSource {
  readonly api: LivePriceApi;
  /** Starts the refresh loop (the first refresh at once). */
  start(): void;
  /** One refresh now: the cache if fresh, else the API. Never throws; the outcome says. */
  refresh(): Promise<RefreshOutcome>;
  /** When the API last confirmed the prices held, if ever. */
  confirmedAt(): Date | undefined;
  /** The error of the last failed refresh, cleared by a success. */
  lastError(): SentraError | undefined;
  close(): Promise<void>;
}

/**
 * Pause before the next refresh: the interval ±10 % after a success; after a cache hit, what is
 * left of the cached answer's interval (at least 1 s), ±10 %; after `failures` consecutive
 * failures `15 s × 2^(failures−1)` (at most the interval) with the same jitter, and at least what
 * a throttling API asked for (`Retry-After`).
 */
export function nextRefreshDelayMs(
  outcome: RefreshOutcome,
  failures: number,
  intervalMs: number,
  random: () => number,
  retryAfterMs?: number,
  cachedAgeMs = 0,
): number {
  const jitter = 0.9 + 0.2 * random();
  if (outcome === "success") return Math.round(intervalMs * jitter);
  if (outcome === "cached") return Math.round(Math.max(1_000, intervalMs - cachedAgeMs) * jitter);
  const backoff = Math.min(intervalMs, PRICE_REFRESH_FAILURE_BASE_DELAY_MS * 2 ** Math.max(0, failures - 1));
  return Math.round(Math.max(backoff * jitter, retryAfterMs ?? 0));
}

/** The cache key of one (API, region, instance types). */
export function livePriceCacheKey(api: LivePriceApi, region: string, instanceTypes: readonly string[]): string {
  const types = createHash("sha256")
    .update([...instanceTypes].sort().join(","))
    .digest("hex")
    .slice(0, 16);
  return `${api}:${region}:${types}`;
}

/**
 * Creates a live source. `quotes(now)` is synchronous and never calls the API: it answers the
 * prices of the last successful refresh (`source: "live"`, `observedAt = now`, `confirmedAt` =
 * when the API answered), or nothing once they are older than `maxAgeMs` — a satellite whose
 * pricing API has been failing stops vouching for its prices rather than quoting old ones.
 */
export function createLiveSpotPriceSource(options: LiveSpotPriceSourceOptions): LiveSpotPriceSource {
  const { cloud, region, fetcher, cache, logger, metrics } = options;
  const api = fetcher.api;
  const nowMs = options.nowMs ?? Date.now;
  const random = options.random ?? Math.random;
  const intervalMs = options.refreshIntervalMs;
  const maxAgeMs = options.maxAgeMs ?? DEFAULT_PRICE_MAX_AGE_INTERVALS * intervalMs;
  if (!(intervalMs > 0)) throw SentraError.invalidArgument("refreshIntervalMs", `must be positive, got ${intervalMs}`);
  if (!(maxAgeMs >= intervalMs)) {
    throw SentraError.invalidArgument("maxAgeMs", `must be at least the refresh interval (${intervalMs} ms)`);
  }
  const order = new Map(options.instanceTypes.map((type, index) => [type, index]));
  for (const type of options.instanceTypes) {
    if (findInstanceType(cloud, type) === undefined) {
      throw SentraError.invalidArgument("instanceTypes", `unknown ${cloud} instance type "${type}" (no shape known)`);
    }
  }
  const cacheKey = livePriceCacheKey(api, region, options.instanceTypes);
  const abort = new AbortController();
  let held: CachedPrices | undefined;
  let failures = 0;
  let lastError: SentraError | undefined;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<RefreshOutcome> | undefined;
  let closed = false;
  let warnedMissing = false;

  const adopt = (value: CachedPrices): void => {
    held = {
      fetchedAtMs: value.fetchedAtMs,
      prices: value.prices
        .filter((price) => order.has(price.instanceType))
        .sort(
          (a, b) => (order.get(a.instanceType) ?? 0) - (order.get(b.instanceType) ?? 0) || a.zone.localeCompare(b.zone),
        ),
    };
    const missing = options.instanceTypes.filter((type) => !held?.prices.some((price) => price.instanceType === type));
    if (missing.length > 0 && !warnedMissing) {
      warnedMissing = true;
      logger.warn(
        { api, region, missing },
        "the pricing API has no spot price for these instance types in this region",
      );
    }
  };

  const refreshOnce = async (): Promise<{ outcome: RefreshOutcome; retryAfterMs?: number }> => {
    const started = nowMs();
    try {
      const cached = await cache.get(cacheKey);
      if (cached !== undefined && started - cached.fetchedAtMs < intervalMs) {
        if (held === undefined || cached.fetchedAtMs > held.fetchedAtMs) adopt(cached);
        return { outcome: "cached" };
      }
    } catch (error) {
      logger.warn(
        { api, cache: cache.kind, err: SentraError.from(error).message },
        "price cache unreadable: asking the API",
      );
    }
    let prices: CachedPrices["prices"];
    try {
      prices = await fetcher.fetch(abort.signal);
    } catch (error) {
      const failure = SentraError.from(error, "UNAVAILABLE");
      lastError = failure;
      const throttled = isThrottled(failure);
      logger.warn(
        { api, region, code: failure.code, failures: failures + 1, err: failure.message },
        throttled ? "live spot prices throttled: backing off" : "live spot price refresh failed",
      );
      return { outcome: throttled ? "throttled" : "failure", ...retryAfter(failure) };
    }
    if (prices.length === 0) {
      lastError = new SentraError(
        "NOT_FOUND",
        `${api} pricing API has no spot price for ${options.instanceTypes.join(", ")} in ${region}: check SENTRA_REGION and SENTRA_INSTANCE_TYPES`,
      );
      logger.warn({ api, region, err: lastError.message }, "live spot price refresh failed");
      return { outcome: "failure" };
    }
    const value: CachedPrices = { fetchedAtMs: nowMs(), prices };
    adopt(value);
    lastError = undefined;
    try {
      await cache.set(cacheKey, value, maxAgeMs);
    } catch (error) {
      logger.warn({ api, cache: cache.kind, err: SentraError.from(error).message }, "price cache not written");
    }
    return { outcome: "success" };
  };

  const refresh = (): Promise<RefreshOutcome> => {
    running ??= (async () => {
      const { outcome, retryAfterMs } = await refreshOnce();
      failures = outcome === "success" || outcome === "cached" ? 0 : failures + 1;
      metrics?.refresh(api, outcome);
      const cachedAgeMs = outcome === "cached" && held !== undefined ? nowMs() - held.fetchedAtMs : 0;
      schedule(nextRefreshDelayMs(outcome, failures, intervalMs, random, retryAfterMs, cachedAgeMs));
      return outcome;
    })().finally(() => {
      running = undefined;
    });
    return running;
  };

  let loop = false;
  const schedule = (delayMs: number): void => {
    if (!loop || closed) return;
    clearTimeout(timer);
    timer = setTimeout(() => void refresh(), delayMs);
  };

  return {
    api,
    start() {
      if (loop || closed) return;
      loop = true;
      void refresh();
    },
    refresh,
    confirmedAt: () => (held === undefined ? undefined : new Date(held.fetchedAtMs)),
    lastError: () => lastError,
    quotes(now: Date): SpotPriceQuote[] {
      if (held === undefined) return [];
      const ageMs = now.getTime() - held.fetchedAtMs;
      metrics?.age(api, Math.max(0, ageMs) / 1000);
      if (ageMs > maxAgeMs) return [];
      const confirmedAt = new Date(held.fetchedAtMs);
      return held.prices.map((price) => {
        const shape = findInstanceType(cloud, price.instanceType);
        return {
          cloud,
          region,
          zone: price.zone,
          instanceType: price.instanceType,
          usdPerHour: price.usdPerHour,
          observedAt: now,
          confirmedAt,
          source: "live",
          vcpus: shape?.vcpus ?? 0,
          memoryGib: shape?.memoryGib ?? 0,
        };
      });
    },
    async close() {
      closed = true;
      clearTimeout(timer);
      abort.abort(new SentraError("CANCELLED", "the satellite is stopping"));
      await running?.catch(() => undefined);
      await fetcher.close?.();
      await cache.close();
    },
  };
}

function retryAfter(error: SentraError): { retryAfterMs?: number } {
  const value = retryAfterMsOf(error);
  return value === undefined ? {} : { retryAfterMs: value };
}
