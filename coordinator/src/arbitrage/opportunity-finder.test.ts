import { performance } from "node:perf_hooks";
import { describe, expect, it } from "vitest";
import { BYTES_PER_GIB } from "./cost-model.js";
import { findOpportunities } from "./opportunity-finder.js";
import type { RegionMarket } from "./region-market.js";
import { createSyntheticEstate } from "./synthetic-estate.js";
import type { WorkloadCostInput } from "./workload-cost-input.js";

const NOW = Date.UTC(2026, 2, 1, 12, 0, 0);
const MIN = 60_000;

/** One market offering one 2 vCPU / 8 GiB type at `usdPerHour`, observed `ageMs` ago. */
function market(cloud: string, region: string, usdPerHour: number, ageMs = 30_000, live = true): RegionMarket {
  return {
    cloud,
    region,
    satelliteId: `sat-${region}`,
    cluster: `${region}-a`,
    live,
    prices: [{ instanceType: `${cloud}-2x8`, usdPerHour, vcpus: 2, memoryGib: 8, observedAtMs: NOW - ageMs }],
  };
}

/** 4 replicas × (500 m, 2 GiB) = a quarter of a 2 vCPU / 8 GiB instance each; 50 GB of state. */
function workload(overrides: Partial<WorkloadCostInput> = {}): WorkloadCostInput {
  return {
    id: "shop/checkout",
    satelliteId: "sat-us-east-1",
    cluster: "us-east-1-a",
    namespace: "shop",
    name: "checkout",
    cloud: "aws",
    region: "us-east-1",
    replicas: 4,
    cpuMillicores: 500,
    memoryBytes: 2 * BYTES_PER_GIB,
    stateGb: 50,
    ...overrides,
  };
}

const OPTIONS = { readinessEstimateSeconds: 600, horizonHours: 24, minMarginUsd: 0, priceTtlMs: 10 * MIN };

describe("findOpportunities", () => {
  it("turns a price drop in one region into an opportunity with the formula's exact margin", () => {
    const before = [market("aws", "us-east-1", 0.1), market("aws", "us-west-2", 0.1), market("aws", "eu-west-1", 0.09)];
    // eu-west-1: saves (0.1 − 0.09) × 24 = 0.24 USD but egress is 50 GB × 0.02 = 1 USD → nothing.
    expect(findOpportunities([workload()], before, NOW, OPTIONS)).toEqual([]);

    const after = [market("aws", "us-east-1", 0.1), market("aws", "us-west-2", 0.04), market("aws", "eu-west-1", 0.09)];
    const [opportunity, ...rest] = findOpportunities([workload()], after, NOW, OPTIONS);
    expect(rest).toEqual([]);
    // By hand: cost now    = 4 × 0.25 × 0.10 = 0.10 USD/h; cost target = 4 × 0.25 × 0.04 = 0.04 USD/h
    //          savings     = (0.10 − 0.04) × 24 h      = 1.44 USD
    //          egress      = 50 GB × 0.02 USD/GB (AWS us-east-1 → us-west-2) = 1.00 USD
    //          overlap     = (0.10 + 0.04) × 600 s / 3600 = 0.023333… USD
    //          margin      = 1.44 − 1.00 − 0.023333… = 0.416666… USD
    expect(opportunity?.target.region).toBe("us-west-2");
    expect(opportunity?.costNowUsdPerHour).toBeCloseTo(0.1, 12);
    expect(opportunity?.costTargetUsdPerHour).toBeCloseTo(0.04, 12);
    expect(opportunity?.savingsUsd).toBeCloseTo(1.44, 12);
    expect(opportunity?.egressUsdPerGb).toBe(0.02);
    expect(opportunity?.egressUsd).toBeCloseTo(1.0, 12);
    expect(opportunity?.overlapUsd).toBeCloseTo(0.14 / 6, 12);
    expect(opportunity?.marginUsd).toBeCloseTo(0.4166666666667, 10);
    expect(opportunity?.source.instanceShare).toBe(0.25);
    expect(opportunity?.source.priceAgeSeconds).toBe(30);
    expect(opportunity?.stateGb).toBe(50);
    expect(opportunity?.stateGbFrom).toBe("workload");
  });

  it("ranks targets by margin, not by compute price: egress can make the cheapest region the worst", () => {
    const markets = [
      market("aws", "us-east-1", 0.1),
      market("aws", "us-west-2", 0.04),
      market("aws", "us-east-2", 0.045),
      market("gcp", "us-east1", 0.03),
    ];
    const [best] = findOpportunities([workload()], markets, NOW, OPTIONS);
    // us-east-2: (0.10 − 0.045) × 24 = 1.32; egress 50 × 0.01 = 0.50; overlap 0.145 / 6 → 0.795833…
    // gcp us-east1: (0.10 − 0.03) × 24 = 1.68; egress 50 × 0.09 (cross-cloud) = 4.50 → negative.
    expect(best?.target.region).toBe("us-east-2");
    expect(best?.marginUsd).toBeCloseTo(1.32 - 0.5 - 0.145 / 6, 12);
  });

  it("uses the default state size when the workload declares none", () => {
    const markets = [market("aws", "us-east-1", 0.1), market("aws", "us-west-2", 0.04)];
    const { stateGb: _omitted, ...noState } = workload();
    const [best] = findOpportunities([noState], markets, NOW, { ...OPTIONS, defaultStateGb: 10 });
    expect(best?.stateGb).toBe(10);
    expect(best?.stateGbFrom).toBe("default");
    expect(best?.marginUsd).toBeCloseTo(1.44 - 10 * 0.02 - 0.14 / 6, 12);
  });

  it("never uses a price older than the TTL, but does use one exactly TTL old", () => {
    const stale = [market("aws", "us-east-1", 0.1), market("aws", "us-west-2", 0.04, 10 * MIN + 1)];
    expect(findOpportunities([workload()], stale, NOW, OPTIONS)).toEqual([]);
    const edge = [market("aws", "us-east-1", 0.1), market("aws", "us-west-2", 0.04, 10 * MIN)];
    expect(findOpportunities([workload()], edge, NOW, OPTIONS)).toHaveLength(1);
  });

  it("finds nothing when the workload's own region price is stale", () => {
    const markets = [market("aws", "us-east-1", 0.1, 11 * MIN), market("aws", "us-west-2", 0.04)];
    expect(findOpportunities([workload()], markets, NOW, OPTIONS)).toEqual([]);
  });

  it("never uses a market whose satellite is not live", () => {
    const markets = [market("aws", "us-east-1", 0.1), market("aws", "us-west-2", 0.04, 1000, false)];
    expect(findOpportunities([workload()], markets, NOW, OPTIONS)).toEqual([]);
    const sourceDown = [market("aws", "us-east-1", 0.1, 1000, false), market("aws", "us-west-2", 0.04)];
    expect(findOpportunities([workload()], sourceDown, NOW, OPTIONS)).toEqual([]);
  });

  it("respects pins and allowed regions and clouds", () => {
    const markets = [
      market("aws", "us-east-1", 0.1),
      market("aws", "us-west-2", 0.04),
      market("aws", "us-east-2", 0.045),
      market("gcp", "us-east1", 0.01),
    ];
    // With 10 GB of state: us-west-2 1.44 − 0.20 − 0.14/6 = 1.2167; us-east-2 1.32 − 0.10 − 0.145/6 = 1.1958;
    // gcp us-east1 (0.10 − 0.01) × 24 = 2.16 − 10 × 0.09 − 0.11/6 = 1.2417 (best when unrestricted).
    const best = (w: Partial<WorkloadCostInput>) =>
      findOpportunities([workload({ stateGb: 10, ...w })], markets, NOW, OPTIONS)[0];
    const unrestricted = best({});
    expect(unrestricted?.target.cloud).toBe("gcp");
    expect(unrestricted?.marginUsd).toBeCloseTo(2.16 - 0.9 - 0.11 / 6, 12);
    expect(best({ pinned: true })).toBeUndefined();
    expect(best({ allowedClouds: ["aws"] })?.target.region).toBe("us-west-2");
    expect(best({ allowedRegions: ["us-east-2"] })?.target.region).toBe("us-east-2");
    expect(best({ allowedRegions: ["aws:us-east-2", "eu-west-1"] })?.target.region).toBe("us-east-2");
    expect(best({ allowedRegions: ["gcp:us-east1"] })?.target.cloud).toBe("gcp");
    expect(best({ allowedClouds: ["azure"] })).toBeUndefined();
    // Both lists must pass.
    expect(best({ allowedClouds: ["gcp"], allowedRegions: ["us-west-2"] })).toBeUndefined();
  });

  it("refuses margins below the configured minimum and sorts the rest by margin", () => {
    const markets = [market("aws", "us-east-1", 0.1), market("aws", "us-west-2", 0.04)];
    const small = workload({ id: "a/small", replicas: 4 }); // margin 0.4166…
    const large = workload({ id: "b/large", replicas: 8 }); // (0.2 − 0.08) × 24 − 1 − 0.28/6 = 1.8133…
    const ranked = findOpportunities([small, large], markets, NOW, OPTIONS);
    expect(ranked.map((o) => o.workloadId)).toEqual(["b/large", "a/small"]);
    expect(ranked[0]?.marginUsd).toBeCloseTo(2.88 - 1 - 0.28 / 6, 12);
    const strict = findOpportunities([small, large], markets, NOW, { ...OPTIONS, minMarginUsd: 1 });
    expect(strict.map((o) => o.workloadId)).toEqual(["b/large"]);
  });

  it("ranks 10,000 workloads × 20 regions in well under a second", () => {
    const estate = createSyntheticEstate(10_000, 20, 7, NOW);
    findOpportunities(estate.workloads, estate.markets, NOW);
    const started = performance.now();
    const result = findOpportunities(estate.workloads, estate.markets, NOW);
    const elapsedMs = performance.now() - started;
    expect(result.length).toBeGreaterThan(0);
    expect(elapsedMs).toBeLessThan(1000);
  });
});
