import { createLogger, SentraError } from "@sentra/common";
import { createTestNamespace } from "@sentra/testkit";
import { describe, expect, it } from "vitest";
import { type FetchedPrice, type LivePriceFetcher, throttledError } from "./live-price-fetcher.js";
import {
  createLiveSpotPriceSource,
  type LivePriceMetrics,
  livePriceCacheKey,
  nextRefreshDelayMs,
  type RefreshOutcome,
} from "./live-spot-price-source.js";
import { createMemoryPriceCache } from "./price-cache.js";
import { createRedisPriceCache } from "./redis-price-cache.js";

const T0 = Date.UTC(2026, 11, 7, 15);
const MIN = 60_000;
const logger = createLogger("test", "silent");

const PRICES: FetchedPrice[] = [
  { zone: "us-east-1b", instanceType: "c5.large", usdPerHour: 0.0363 },
  { zone: "us-east-1b", instanceType: "m5.large", usdPerHour: 0.0398 },
  { zone: "us-east-1a", instanceType: "m5.large", usdPerHour: 0.0401 },
];

/** A fetcher answering from a script: a price list, or an error to throw. */
function scriptedFetcher(script: Array<FetchedPrice[] | Error>): LivePriceFetcher & { calls: number } {
  const fetcher = {
    api: "aws" as const,
    calls: 0,
    async fetch() {
      const step = script[Math.min(fetcher.calls, script.length - 1)] ?? [];
      fetcher.calls++;
      if (step instanceof Error) throw step;
      return step.map((price) => ({ ...price }));
    },
  };
  return fetcher;
}

function recordingMetrics() {
  const outcomes: RefreshOutcome[] = [];
  const ages: number[] = [];
  const metrics: LivePriceMetrics = {
    refresh: (_api, outcome) => void outcomes.push(outcome),
    throttled: () => undefined,
    age: (_api, seconds) => void ages.push(seconds),
  };
  return { metrics, outcomes, ages };
}

describe("live spot price source", () => {
  it("quotes the last refresh as live prices, in instance-type order, with the model's shapes and units", async () => {
    let now = T0;
    const { metrics, outcomes, ages } = recordingMetrics();
    const source = createLiveSpotPriceSource({
      cloud: "aws",
      region: "us-east-1",
      instanceTypes: ["m5.large", "c5.large"],
      fetcher: scriptedFetcher([PRICES]),
      cache: createMemoryPriceCache(() => now),
      refreshIntervalMs: 5 * MIN,
      logger,
      metrics,
      nowMs: () => now,
    });
    expect(source.quotes(new Date(now))).toEqual([]); // nothing before the first answer
    expect(await source.refresh()).toBe("success");
    now += 30_000;
    const quotes = source.quotes(new Date(now));
    expect(quotes.map((q) => [q.instanceType, q.zone, q.usdPerHour, q.source, q.vcpus, q.memoryGib])).toEqual([
      ["m5.large", "us-east-1a", 0.0401, "live", 2, 8],
      ["m5.large", "us-east-1b", 0.0398, "live", 2, 8],
      ["c5.large", "us-east-1b", 0.0363, "live", 2, 4],
    ]);
    expect(quotes[0]?.observedAt).toEqual(new Date(now));
    expect(quotes[0]?.confirmedAt).toEqual(new Date(T0));
    expect(outcomes).toEqual(["success"]);
    expect(ages).toEqual([30]);
    await source.close();
  });

  it("keeps quoting through failed refreshes until the prices are older than the max age, then stops", async () => {
    let now = T0;
    const { metrics, outcomes } = recordingMetrics();
    const source = createLiveSpotPriceSource({
      cloud: "aws",
      region: "us-east-1",
      instanceTypes: ["m5.large", "c5.large"],
      fetcher: scriptedFetcher([
        PRICES,
        throttledError("aws", "RequestLimitExceeded", 2_000),
        new SentraError("UNAVAILABLE", "EC2 DescribeSpotPriceHistory in us-east-1: no answer within 10000 ms"),
      ]),
      cache: createMemoryPriceCache(() => now),
      refreshIntervalMs: 5 * MIN,
      maxAgeMs: 15 * MIN,
      logger,
      metrics,
      nowMs: () => now,
    });
    await source.refresh();
    now += 6 * MIN;
    expect(await source.refresh()).toBe("throttled");
    expect(source.lastError()?.code).toBe("RESOURCE_EXHAUSTED");
    now += 6 * MIN;
    expect(await source.refresh()).toBe("failure");
    expect(source.lastError()?.message).toContain("no answer within 10000 ms");
    expect(source.quotes(new Date(T0 + 15 * MIN))).toHaveLength(3); // exactly the max age: still quoted
    expect(source.quotes(new Date(T0 + 15 * MIN + 1))).toEqual([]); // older: not vouched for any more
    expect(outcomes).toEqual(["success", "throttled", "failure"]);
    await source.close();
  });

  it("reads a fresh cache instead of the API (a restart, or another satellite of the region)", async () => {
    let now = T0;
    const cache = createMemoryPriceCache(() => now);
    const options = {
      cloud: "aws",
      region: "us-east-1",
      instanceTypes: ["m5.large", "c5.large"],
      cache,
      refreshIntervalMs: 5 * MIN,
      logger,
      nowMs: () => now,
    };
    const first = scriptedFetcher([PRICES]);
    const a = createLiveSpotPriceSource({ ...options, fetcher: first });
    expect(await a.refresh()).toBe("success");
    now += 2 * MIN;
    const second = scriptedFetcher([[]]);
    const b = createLiveSpotPriceSource({ ...options, fetcher: second });
    expect(await b.refresh()).toBe("cached");
    expect(second.calls).toBe(0);
    expect(b.confirmedAt()).toEqual(new Date(T0));
    expect(b.quotes(new Date(now))).toHaveLength(3);
    now += 4 * MIN; // the cached answer is now older than the refresh interval: ask the API
    expect(await b.refresh()).toBe("failure"); // this API has no price for these types
    expect(second.calls).toBe(1);
    expect(b.lastError()?.message).toMatch(/no spot price for m5.large, c5.large in us-east-1/);
    await a.close();
    await b.close();
  });

  it("caches in the real Redis with the max age as TTL, shared by satellites of one region", async () => {
    await using namespace = await createTestNamespace("livecache");
    const options = {
      cloud: "aws",
      region: "us-east-1",
      instanceTypes: ["m5.large", "c5.large"],
      refreshIntervalMs: 5 * MIN,
      maxAgeMs: 15 * MIN,
      logger,
    };
    const fetcher = scriptedFetcher([PRICES]);
    const a = createLiveSpotPriceSource({
      ...options,
      fetcher,
      cache: createRedisPriceCache(namespace.urls.redisUrl, namespace.redisKeyPrefix),
    });
    expect(await a.refresh()).toBe("success");
    const key = `${namespace.redisKeyPrefix}price-cache:${livePriceCacheKey("aws", "us-east-1", ["c5.large", "m5.large"])}`;
    const ttlMs = await namespace.redis().pttl(key);
    expect(ttlMs).toBeGreaterThan(15 * MIN - 5_000);
    expect(ttlMs).toBeLessThanOrEqual(15 * MIN);
    const other = scriptedFetcher([[]]);
    const b = createLiveSpotPriceSource({
      ...options,
      fetcher: other,
      cache: createRedisPriceCache(namespace.urls.redisUrl, namespace.redisKeyPrefix),
    });
    expect(await b.refresh()).toBe("cached");
    expect(other.calls).toBe(0);
    expect(b.quotes(new Date()).map((q) => q.usdPerHour)).toEqual([0.0401, 0.0398, 0.0363]);
    await a.close();
    await b.close();
    await namespace.redis().del(key);
  });

  it("asks the API when the Redis cache is unreachable, and says so", async () => {
    const warnings: string[] = [];
    const spy = createLogger("test", "silent");
    const recording = Object.assign(Object.create(spy), {
      warn: (_fields: unknown, message: string) => void warnings.push(message),
    });
    const fetcher = scriptedFetcher([PRICES]);
    const source = createLiveSpotPriceSource({
      cloud: "aws",
      region: "us-east-1",
      instanceTypes: ["m5.large", "c5.large"],
      fetcher,
      cache: createRedisPriceCache("redis://127.0.0.1:1", "nowhere:"),
      refreshIntervalMs: 5 * MIN,
      logger: recording,
    });
    expect(await source.refresh()).toBe("success");
    expect(fetcher.calls).toBe(1);
    expect(warnings).toEqual(["price cache unreadable: asking the API", "price cache not written"]);
    await source.close();
  });

  it("refreshes on its own at the interval until closed", async () => {
    const fetcher = scriptedFetcher([PRICES]);
    const source = createLiveSpotPriceSource({
      cloud: "aws",
      region: "us-east-1",
      instanceTypes: ["m5.large"],
      fetcher,
      cache: createMemoryPriceCache(),
      refreshIntervalMs: 40,
      logger,
    });
    source.start();
    const deadline = Date.now() + 5_000;
    while (fetcher.calls < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    await source.close();
    const calls = fetcher.calls;
    expect(calls).toBeGreaterThanOrEqual(3);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(fetcher.calls).toBe(calls);
  });
});

describe("nextRefreshDelayMs", () => {
  it("jitters the interval ±10 % after a success and backs off failures from 15 s up to the interval", () => {
    const interval = 5 * MIN;
    expect(nextRefreshDelayMs("success", 0, interval, () => 0)).toBe(270_000);
    // A cache hit refreshes when the cached answer's interval ends (another satellite fetched it 2 min ago).
    expect(nextRefreshDelayMs("cached", 0, interval, () => 0.5, undefined, 2 * MIN)).toBe(180_000);
    expect(nextRefreshDelayMs("cached", 0, interval, () => 0.5, undefined, interval)).toBe(1_000);
    expect([1, 2, 3, 4, 5, 6].map((n) => nextRefreshDelayMs("failure", n, interval, () => 0.5))).toEqual([
      15_000, 30_000, 60_000, 120_000, 240_000, 300_000,
    ]);
    // A throttling API's Retry-After wins when longer.
    expect(nextRefreshDelayMs("throttled", 1, interval, () => 0.5, 90_000)).toBe(90_000);
  });
});
