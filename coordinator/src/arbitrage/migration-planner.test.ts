import { SentraError } from "@sentra/common";
import { describe, expect, it } from "vitest";
import { BYTES_PER_GIB } from "./cost-model.js";
import { assertPlanAccepted, planMigration, planRefusalError } from "./migration-planner.js";
import type { RegionMarket } from "./region-market.js";
import type { WorkloadCostInput } from "./workload-cost-input.js";

const NOW = Date.UTC(2026, 2, 1, 12, 0, 0);
const MIN = 60_000;

function market(cloud: string, region: string, usdPerHour: number, ageMs = 45_000, live = true): RegionMarket {
  return {
    cloud,
    region,
    satelliteId: `sat-${region}`,
    cluster: `${region}-a`,
    live,
    prices: [{ instanceType: "p3.2xlarge", usdPerHour, vcpus: 8, memoryGib: 61, observedAtMs: NOW - ageMs }],
  };
}

/** 2 replicas of a whole p3.2xlarge each, 200 GB of state. */
const trainer: WorkloadCostInput = {
  id: "ml/trainer",
  satelliteId: "sat-us-east-1",
  cluster: "us-east-1-a",
  namespace: "ml",
  name: "trainer",
  cloud: "aws",
  region: "us-east-1",
  replicas: 2,
  cpuMillicores: 8000,
  memoryBytes: 61 * BYTES_PER_GIB,
  stateGb: 200,
  instanceType: "p3.2xlarge",
};

const OPTIONS = { readinessEstimateSeconds: 300, horizonHours: 24, priceTtlMs: 10 * MIN };

describe("planMigration (dry run)", () => {
  it("refuses a negative margin as data, with every number", () => {
    // cost now 2 × 1.00 = 2.00 USD/h; eu-west-1 2 × 0.97 = 1.94 USD/h
    // savings (2.00 − 1.94) × 24 = 1.44; egress 200 GB × 0.02 = 4.00; overlap (2.00 + 1.94) × 300 / 3600 = 0.328333…
    // margin 1.44 − 4.00 − 0.328333… = −2.888333…
    const markets = [market("aws", "us-east-1", 1.0), market("aws", "eu-west-1", 0.97, 90_000)];
    const result = planMigration(trainer, "eu-west-1", markets, NOW, OPTIONS);
    expect(result.accepted).toBe(false);
    expect(result.refusalCode).toBe("MARGIN_NOT_POSITIVE");
    const plan = result.plan;
    expect(plan).not.toBeNull();
    expect(plan?.costNowUsdPerHour).toBeCloseTo(2.0, 12);
    expect(plan?.costTargetUsdPerHour).toBeCloseTo(1.94, 12);
    expect(plan?.savingsUsd).toBeCloseTo(1.44, 12);
    expect(plan?.egressUsdPerGb).toBe(0.02);
    expect(plan?.egressUsd).toBeCloseTo(4.0, 12);
    expect(plan?.overlapUsd).toBeCloseTo(3.94 / 12, 12);
    expect(plan?.marginUsd).toBeCloseTo(1.44 - 4.0 - 3.94 / 12, 12);
    expect(plan?.minMarginUsd).toBe(0);
    expect(plan?.source).toMatchObject({ instanceType: "p3.2xlarge", instanceUsdPerHour: 1.0, priceAgeSeconds: 45 });
    expect(plan?.target).toMatchObject({ region: "eu-west-1", instanceUsdPerHour: 0.97, priceAgeSeconds: 90 });
    expect(result.refusalReason).toContain("margin −2.89 USD");
    expect(result.refusalReason).toContain("200 GB × 0.02 USD/GB");
  });

  it("throws FAILED_PRECONDITION carrying the numbers from the helper", () => {
    const markets = [market("aws", "us-east-1", 1.0), market("aws", "eu-west-1", 0.97)];
    const result = planMigration(trainer, "aws:eu-west-1", markets, NOW, OPTIONS);
    let thrown: unknown;
    try {
      assertPlanAccepted(result);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(SentraError);
    const error = thrown as SentraError;
    expect(error.code).toBe("FAILED_PRECONDITION");
    expect(error.httpStatus).toBe(412);
    expect(error.details?.refusalCode).toBe("MARGIN_NOT_POSITIVE");
    expect((error.details?.plan as { marginUsd: number } | undefined)?.marginUsd).toBeCloseTo(
      1.44 - 4.0 - 3.94 / 12,
      12,
    );
    expect(JSON.parse(JSON.stringify(error.toJSON())).details.plan.egressUsd).toBeCloseTo(4.0, 12);
  });

  it("accepts a positive margin and refuses one below the configured minimum", () => {
    // us-east-2: 2 × 0.60 = 1.20 USD/h; savings 0.80 × 24 = 19.20; egress 200 × 0.01 = 2.00;
    // overlap 3.20 × 300 / 3600 = 0.266666…; margin 16.933333…
    const markets = [market("aws", "us-east-1", 1.0), market("aws", "us-east-2", 0.6)];
    const accepted = planMigration(trainer, undefined, markets, NOW, OPTIONS);
    expect(accepted.accepted).toBe(true);
    expect(accepted.refusalReason).toBeNull();
    expect(assertPlanAccepted(accepted).marginUsd).toBeCloseTo(19.2 - 2.0 - 3.2 / 12, 12);

    const strict = planMigration(trainer, undefined, markets, NOW, { ...OPTIONS, minMarginUsd: 20 });
    expect(strict.accepted).toBe(false);
    expect(strict.refusalCode).toBe("MARGIN_BELOW_MINIMUM");
    expect(strict.plan?.minMarginUsd).toBe(20);
    expect(() => assertPlanAccepted(strict)).toThrow(/minimum 20.00 USD/);
  });

  it("without a target, shows the least bad target when none pays", () => {
    const markets = [
      market("aws", "us-east-1", 1.0),
      market("aws", "eu-west-1", 0.97),
      market("aws", "us-west-2", 1.2),
    ];
    const result = planMigration(trainer, undefined, markets, NOW, OPTIONS);
    expect(result.refusalCode).toBe("MARGIN_NOT_POSITIVE");
    expect(result.plan?.target.region).toBe("eu-west-1");
  });

  it("never plans with a stale price or a satellite that is not live", () => {
    const staleTarget = [market("aws", "us-east-1", 1.0), market("aws", "us-east-2", 0.6, 11 * MIN)];
    const stale = planMigration(trainer, "us-east-2", staleTarget, NOW, OPTIONS);
    expect(stale.refusalCode).toBe("TARGET_PRICE_STALE");
    expect(stale.plan).toBeNull();
    expect(stale.refusalReason).toContain("660 s old, older than the 600 s TTL");
    expect(planMigration(trainer, undefined, staleTarget, NOW, OPTIONS).refusalCode).toBe("NO_TARGET");

    const down = [market("aws", "us-east-1", 1.0), market("aws", "us-east-2", 0.6, 1000, false)];
    expect(planMigration(trainer, "us-east-2", down, NOW, OPTIONS).refusalCode).toBe("TARGET_NOT_LIVE");

    const staleSource = [market("aws", "us-east-1", 1.0, 11 * MIN), market("aws", "us-east-2", 0.6)];
    const source = planMigration(trainer, "us-east-2", staleSource, NOW, OPTIONS);
    expect(source.refusalCode).toBe("SOURCE_PRICE_UNAVAILABLE");
    expect(planRefusalError(source).code).toBe("FAILED_PRECONDITION");
  });

  it("refuses pinned workloads and targets outside the allowed regions, still showing the numbers", () => {
    const markets = [market("aws", "us-east-1", 1.0), market("aws", "us-east-2", 0.6)];
    const pinned = planMigration({ ...trainer, pinned: true }, "us-east-2", markets, NOW, OPTIONS);
    expect(pinned.refusalCode).toBe("PINNED");
    expect(pinned.plan?.marginUsd).toBeGreaterThan(0);
    const restricted = planMigration({ ...trainer, allowedRegions: ["eu-west-1"] }, "us-east-2", markets, NOW, OPTIONS);
    expect(restricted.refusalCode).toBe("TARGET_NOT_ALLOWED");
    expect(restricted.refusalReason).toContain("not in allowed regions [eu-west-1]");
    const wrongCloud = planMigration({ ...trainer, allowedClouds: ["gcp"] }, undefined, markets, NOW, OPTIONS);
    expect(wrongCloud.refusalCode).toBe("NO_TARGET");
  });

  it("answers NOT_FOUND for a region nobody reports and refuses a move to where it already runs", () => {
    const markets = [market("aws", "us-east-1", 1.0), market("aws", "us-east-2", 0.6)];
    const unknown = planMigration(trainer, "ap-south-1", markets, NOW, OPTIONS);
    expect(unknown.refusalCode).toBe("TARGET_UNKNOWN");
    expect(planRefusalError(unknown).code).toBe("NOT_FOUND");
    expect(planMigration(trainer, "us-east-1", markets, NOW, OPTIONS).refusalCode).toBe("TARGET_IS_SOURCE");
  });
});
