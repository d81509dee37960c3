import { resolveSharedDataDir } from "@sentra/common";
import { beforeAll, describe, expect, it } from "vitest";
import { findRegion } from "../region/region-catalog.js";
import {
  ar1ToMeanReversion,
  type CalibrationReport,
  calibrate,
  loadOnDemandPrices,
  loadSpotHistories,
  type OnDemandPrice,
  type PriceSeries,
  seriesStatistics,
  sigmaClippedRms,
} from "./calibrate.js";
import { findInstanceType } from "./instance-types.js";
import { DEFAULT_MODEL_PARAMETERS, MODEL_PARAMETER_NAMES } from "./model-parameters.js";
import { ON_DEMAND_PRICES, REFERENCE_SPOT_PRICES } from "./reference-prices.js";

let series: PriceSeries[];
let onDemand: OnDemandPrice[];
let report: CalibrationReport;
const kept = (cloud: string, region: string, type: string): boolean =>
  findRegion(cloud, region) !== undefined && findInstanceType(cloud, type) !== undefined;

beforeAll(async () => {
  const dataDir = resolveSharedDataDir(process.env);
  [series, onDemand] = await Promise.all([loadSpotHistories(dataDir), loadOnDemandPrices(dataDir)]);
  report = calibrate(series, onDemand);
});

describe("committed constants vs a fresh calibration of shared/data", () => {
  it("DEFAULT_MODEL_PARAMETERS are the calibrated values (4 significant digits)", () => {
    expect(Object.keys(DEFAULT_MODEL_PARAMETERS).sort()).toEqual(report.families.map((family) => family.key).sort());
    for (const family of report.families) {
      const committed = DEFAULT_MODEL_PARAMETERS[family.key];
      for (const name of MODEL_PARAMETER_NAMES) {
        const fresh = family.parameters[name];
        const value = committed?.[name] ?? Number.NaN;
        expect(
          Math.abs(value - fresh),
          `${family.key}.${name}: committed ${value}, data gives ${fresh}`,
        ).toBeLessThanOrEqual(1e-3 * Math.abs(fresh) + 1e-12);
      }
    }
  });

  it("REFERENCE_SPOT_PRICES are the data's levels, for every catalog region and known type with data", () => {
    const fresh = report.referencePrices.filter((ref) => kept(ref.cloud, ref.region, ref.instanceType));
    expect(REFERENCE_SPOT_PRICES.map((e) => `${e.cloud}/${e.region}/${e.instanceType}`).sort()).toEqual(
      fresh.map((e) => `${e.cloud}/${e.region}/${e.instanceType}`).sort(),
    );
    for (const ref of fresh) {
      const entry = REFERENCE_SPOT_PRICES.find(
        (e) => e.cloud === ref.cloud && e.region === ref.region && e.instanceType === ref.instanceType,
      );
      expect(
        Math.abs((entry?.usdPerHour ?? 0) - ref.usdPerHour),
        `${ref.cloud} ${ref.region} ${ref.instanceType}`,
      ).toBeLessThanOrEqual(5e-7);
    }
  });

  it("ON_DEMAND_PRICES are ondemand-prices.csv rows, for every catalog region and known type", () => {
    const fresh = onDemand.filter((row) => kept(row.cloud, row.region, row.instanceType));
    expect(ON_DEMAND_PRICES).toHaveLength(fresh.length);
    for (const row of fresh) {
      expect(
        ON_DEMAND_PRICES.find(
          (e) => e.cloud === row.cloud && e.region === row.region && e.instanceType === row.instanceType,
        )?.usdPerHour,
        `${row.cloud} ${row.region} ${row.instanceType}`,
      ).toBe(row.usdPerHour);
    }
  });
});

describe("calibrate", () => {
  it("uses every spot file, and each family only its own data", () => {
    const files = new Set(report.families.flatMap((family) => family.files));
    expect(files.size).toBe(4);
    const byKey = new Map(report.families.map((family) => [family.key, family]));
    for (const key of ["aws/m5", "aws/m5a", "aws/c5", "aws/r5", "aws/t3"]) {
      expect(byKey.get(key)?.files).toEqual(["aws-us-east-1-cpu-2021-03_2021-05.csv"]);
    }
    expect(byKey.get("aws/p3")?.files).toEqual(["aws-gpu-6-regions-2019-12_2020-03.csv"]);
    expect(byKey.get("gcp/n2")?.series).toBe(24);
    for (const family of report.families) {
      expect(family.series, family.key).toBeGreaterThan(0);
      expect(family.parameters.changeRatePerHour, family.key).toBeGreaterThan(0);
      expect(family.parameters.floorToReferenceRatio, family.key).toBeLessThanOrEqual(1);
    }
  });

  it("skips series too short to use (e.g. the single-row eu-west-1c GPU series)", () => {
    const single = series.find((s) => s.zone === "eu-west-1c" && s.instanceType === "p3.2xlarge");
    expect(single?.points).toHaveLength(1);
    expect(seriesStatistics(single as PriceSeries, 1)).toBeUndefined();
  });

  it("computes time-weighted means, changes and AR(1) sums from a step function", () => {
    const prices = [1, 2, 1, 2, 1, 2, 1, 2, 2, 1];
    const stats = seriesStatistics(
      {
        cloud: "aws",
        region: "r",
        zone: "ra",
        instanceType: "m5.large",
        product: "p",
        file: "f",
        points: prices.map((usdPerHour, i) => ({ atMs: i * 24 * 3_600_000, usdPerHour })),
      },
      24,
    );
    expect(stats?.hours).toBe(216);
    expect(stats?.meanUsdPerHour).toBeCloseTo((1 + 2 + 1 + 2 + 1 + 2 + 1 + 2 + 2) / 9, 12);
    expect(stats?.logChanges).toHaveLength(8);
    expect(stats?.minUsdPerHour).toBe(1);
    expect(stats?.ar1.points).toBe(10);
  });

  it("separates jumps by sigma clipping, and maps AR(1) φ to θ", () => {
    const values = [...Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? 0.01 : -0.01)), 0.5, -0.3];
    const { sd, outliers } = sigmaClippedRms(values, 4);
    expect(sd).toBeCloseTo(0.01, 12);
    expect(outliers).toEqual([0.5, -0.3]);
    expect(ar1ToMeanReversion(Math.exp(-0.01 * 24), 24)).toBeCloseTo(0.01, 12);
    expect(ar1ToMeanReversion(1.001, 1)).toBe(0);
  });
});
