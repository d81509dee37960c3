import { SentraError } from "@sentra/common";
import { describe, expect, it } from "vitest";
import { REGION_CATALOG } from "../region/region-catalog.js";
import { familyStatistics, type PriceSeries } from "./calibrate.js";
import { DEFAULT_MODEL_PARAMETERS } from "./model-parameters.js";
import { createSpotPriceModel, type SpotPriceModel, type SpotPriceModelOptions } from "./spot-price-model.js";

const HOUR_MS = 3_600_000;
const START = new Date("2030-01-01T00:00:00Z");
const at = (hours: number): Date => new Date(START.getTime() + hours * HOUR_MS);
const prices = (model: SpotPriceModel, hours: number): number[] => model.quotes(at(hours)).map((q) => q.usdPerHour);

/**
 * Polls a model every `stepHours` for `hours` and records what the data files would hold: AWS rows
 * at price changes (like DescribeSpotPriceHistory), GCP/Azure every observation.
 */
function record(
  options: SpotPriceModelOptions,
  hours: number,
  stepHours: number,
): { model: SpotPriceModel; series: PriceSeries[] } {
  const model = createSpotPriceModel(options);
  const series = new Map<string, PriceSeries>();
  for (let t = 0; t <= hours; t += stepHours) {
    for (const quote of model.quotes(at(t))) {
      const key = `${quote.instanceType}/${quote.zone}`;
      let entry = series.get(key);
      if (entry === undefined) {
        entry = { ...quote, product: "model", file: "model", points: [] };
        series.set(key, entry);
      }
      const last = entry.points[entry.points.length - 1];
      if (options.cloud !== "aws" || last?.usdPerHour !== quote.usdPerHour || t + stepHours > hours) {
        entry.points.push({ atMs: at(t).getTime(), usdPerHour: quote.usdPerHour });
      }
    }
  }
  return { model, series: [...series.values()] };
}

function timeWeightedMean(entry: PriceSeries): number {
  let weighted = 0;
  for (let i = 1; i < entry.points.length; i++) {
    const [previous, current] = [entry.points[i - 1], entry.points[i]];
    if (previous !== undefined && current !== undefined)
      weighted += previous.usdPerHour * (current.atMs - previous.atMs);
  }
  const first = entry.points[0]?.atMs ?? 0;
  const last = entry.points[entry.points.length - 1]?.atMs ?? 0;
  return weighted / (last - first);
}

const zones = (n: number): string[] => Array.from({ length: n }, (_, i) => `zone-${i}`);

describe("createSpotPriceModel", () => {
  it("is deterministic: same seed and same `now` values give identical quotes", () => {
    const options = { cloud: "aws", region: "us-east-1", seed: 7, start: START };
    const [a, b] = [createSpotPriceModel(options), createSpotPriceModel(options)];
    for (let t = 0; t <= 24 * 30; t += 24) expect(a.quotes(at(t))).toEqual(b.quotes(at(t)));
    const other = createSpotPriceModel({ ...options, seed: 8 });
    expect(prices(other, 24 * 30)).not.toEqual(prices(a, 24 * 30));
  });

  it("does not depend on how often it is polled, and moves only forward", () => {
    const options = { cloud: "gcp", region: "europe-west1", seed: 3, start: START };
    const often = createSpotPriceModel(options);
    for (let t = 0; t < 24 * 400; t += 24) often.quotes(at(t));
    const once = createSpotPriceModel(options);
    expect(prices(once, 24 * 400)).toEqual(prices(often, 24 * 400));
    // An earlier `now` does not rewind: the prices stay those of the latest instant seen.
    expect(prices(once, 24)).toEqual(prices(often, 24 * 400));
  });

  it("starts every series at its reference price and quotes the series' shape", () => {
    const model = createSpotPriceModel({ cloud: "aws", region: "eu-west-1", seed: 1, start: START });
    const quotes = model.quotes(START);
    expect(quotes).toHaveLength(13 * 3);
    expect(new Set(quotes.map((q) => q.zone))).toEqual(new Set(["eu-west-1a", "eu-west-1b", "eu-west-1c"]));
    const m5 = quotes.find((q) => q.instanceType === "m5.xlarge" && q.zone === "eu-west-1b");
    const info = model.series.find((s) => s.instanceType === "m5.xlarge" && s.zone === "eu-west-1b");
    expect(m5).toEqual({
      cloud: "aws",
      region: "eu-west-1",
      zone: "eu-west-1b",
      instanceType: "m5.xlarge",
      usdPerHour: Math.round((info?.referenceUsdPerHour ?? 0) * 1e6) / 1e6,
      observedAt: START,
      source: "model",
      vcpus: 4,
      memoryGib: 16,
    });
    const gcp = createSpotPriceModel({
      cloud: "gcp",
      region: "us-east1",
      seed: 1,
      start: START,
      instanceTypes: ["e2-standard-2"],
    });
    expect(gcp.quotes(START).map((q) => q.zone)).toEqual([""]);
  });

  it("builds for every catalog region with its cloud's default instance types", () => {
    for (const region of REGION_CATALOG) {
      const model = createSpotPriceModel({ cloud: region.cloud, region: region.name, seed: 1, start: START });
      for (const series of model.series) {
        expect(series.floorUsdPerHour).toBeLessThanOrEqual(series.referenceUsdPerHour);
        expect(series.capUsdPerHour).toBeGreaterThan(series.referenceUsdPerHour);
      }
    }
  });

  it("keeps every price between its floor and its cap (on-demand) over a year", () => {
    for (const [cloud, region] of [
      ["aws", "ap-southeast-1"],
      ["gcp", "asia-northeast1"],
      ["azure", "northcentralus"],
    ] as const) {
      const model = createSpotPriceModel({ cloud, region, seed: 11, start: START, zones: zones(4) });
      const outside: string[] = [];
      for (let t = 0; t <= 24 * 365; t += 6) {
        model.quotes(at(t)).forEach((quote, i) => {
          const series = model.series[i];
          const [floor, cap] = [series?.floorUsdPerHour ?? 0, series?.capUsdPerHour ?? 0].map(
            (usd) => Math.round(usd * 1e6) / 1e6,
          );
          if (!(quote.usdPerHour >= (floor ?? 0) && quote.usdPerHour <= (cap ?? 0))) {
            outside.push(
              `${region} ${quote.instanceType} ${quote.zone} at ${t} h: ${quote.usdPerHour} not in [${floor}, ${cap}]`,
            );
          }
        });
      }
      expect(outside).toEqual([]);
    }
  });

  it("lets a test force a price, per type or per zone, and resumes the same path when cleared", () => {
    const options = {
      cloud: "aws",
      region: "us-west-2",
      seed: 5,
      start: START,
      instanceTypes: ["m5.large", "c5.large"],
    };
    const [forced, twin] = [createSpotPriceModel(options), createSpotPriceModel(options)];
    forced.setOverride("m5.large", 0.01);
    forced.setOverride("m5.large", 0.02, "us-west-2b");
    const during = forced.quotes(at(100));
    expect(during.filter((q) => q.instanceType === "m5.large").map((q) => [q.zone, q.usdPerHour])).toEqual([
      ["us-west-2a", 0.01],
      ["us-west-2b", 0.02],
      ["us-west-2c", 0.01],
    ]);
    const unaffected = twin.quotes(at(100));
    expect(during.filter((q) => q.instanceType === "c5.large")).toEqual(
      unaffected.filter((q) => q.instanceType === "c5.large"),
    );
    forced.setOverride("m5.large", undefined);
    forced.setOverride("m5.large", undefined, "us-west-2b");
    expect(forced.quotes(at(200))).toEqual(twin.quotes(at(200)));
  });

  it("refuses bad overrides and bad options with INVALID_ARGUMENT", () => {
    const model = createSpotPriceModel({
      cloud: "aws",
      region: "us-east-1",
      seed: 1,
      start: START,
      instanceTypes: ["m5.large"],
    });
    const invalid = (fn: () => unknown, pattern: RegExp): void => {
      try {
        fn();
        expect.unreachable("expected an error");
      } catch (error) {
        expect(error).toBeInstanceOf(SentraError);
        expect((error as SentraError).code).toBe("INVALID_ARGUMENT");
        expect((error as Error).message).toMatch(pattern);
      }
    };
    invalid(() => model.setOverride("c5.large", 0.1), /c5.large.*not quoted/);
    invalid(() => model.setOverride("m5.large", -1), /positive/);
    invalid(() => model.setOverride("m5.large", 0.1, "us-east-1z"), /us-east-1z/);
    invalid(() => createSpotPriceModel({ cloud: "ibm", region: "x", seed: 1, start: START }), /ibm/);
    invalid(
      () =>
        createSpotPriceModel({ cloud: "aws", region: "us-east-1", seed: 1, start: START, instanceTypes: ["m9.huge"] }),
      /m9.huge/,
    );
    invalid(
      () => createSpotPriceModel({ cloud: "aws", region: "us-east-1", seed: 1, start: START, instanceTypes: [] }),
      /empty/,
    );
    invalid(() => createSpotPriceModel({ cloud: "aws", region: "eu-north-9", seed: 1, start: START }), /eu-north-9/);
    invalid(
      () =>
        createSpotPriceModel({
          cloud: "aws",
          region: "us-east-1",
          seed: 1,
          start: START,
          parameters: { changeAutocorrelation: 2 },
        }),
      /changeAutocorrelation/,
    );
  });

  it("accepts parameter overrides (e.g. a calm market with no changes)", () => {
    const model = createSpotPriceModel({
      cloud: "gcp",
      region: "us-central1",
      seed: 1,
      start: START,
      parameters: { changeRatePerHour: 0, jumpRatePerHour: 0 },
    });
    expect(prices(model, 24 * 365)).toEqual(prices(model, 0));
    expect(model.series[0]?.derivation.parameters).toMatch(/with overrides/);
  });
});

describe("a long run of the model reproduces the calibrated statistics", () => {
  // [family, cloud, region, types, simulated hours, polling step in hours (the data's cadence)]
  const cases: [string, string, string, string[], number, number][] = [
    ["aws/m5", "aws", "us-east-1", ["m5.large", "m5.xlarge"], 90 * 24, 1],
    ["aws/c5", "aws", "us-east-1", ["c5.large", "c5.xlarge", "c5.2xlarge"], 90 * 24, 1],
    ["aws/r5", "aws", "us-east-1", ["r5.large", "r5.xlarge"], 90 * 24, 1],
    ["aws/t3", "aws", "us-east-1", ["t3.medium", "t3.large"], 90 * 24, 1],
    ["aws/m5a", "aws", "us-east-1", ["m5a.large"], 90 * 24, 1],
    ["aws/p2", "aws", "us-east-1", ["p2.xlarge"], 90 * 24, 1],
    ["aws/p3", "aws", "eu-west-1", ["p3.2xlarge"], 90 * 24, 1],
    ["gcp/n2", "gcp", "us-central1", ["n2-standard-2", "n2-standard-4", "n2-highcpu-4"], 3 * 365 * 24, 168],
    ["gcp/e2", "gcp", "europe-west3", ["e2-standard-2"], 3 * 365 * 24, 168],
    ["azure/*", "azure", "eastus", ["Standard_D2s_v5", "Standard_D4s_v5"], 365 * 24, 24],
  ];

  it.each(cases)(
    "%s: change rate, change volatility, jumps and mean level",
    (key, cloud, region, instanceTypes, hours, step) => {
      const { model, series } = record(
        { cloud, region, instanceTypes, zones: zones(12), seed: 2024, start: START },
        hours,
        step,
      );
      const expected = DEFAULT_MODEL_PARAMETERS[key];
      const measured = [...familyStatistics(series).values()].find((family) => family.family !== "*");
      if (expected === undefined || measured === undefined) throw new Error(`no statistics for ${key}`);
      const p = measured.parameters;
      // Polling at the data's cadence merges changes that fall in one step, as in the data.
      expect(p.changeRatePerHour / expected.changeRatePerHour).toBeGreaterThan(0.8);
      expect(p.changeRatePerHour / expected.changeRatePerHour).toBeLessThan(1.1);
      expect(p.changeLogSd / expected.changeLogSd).toBeGreaterThan(0.85);
      expect(p.changeLogSd / expected.changeLogSd).toBeLessThan(1.25);
      if (expected.changeAutocorrelation > 0.3) expect(p.changeAutocorrelation).toBeGreaterThan(0.3);
      if (expected.jumpRatePerHour * hours * series.length >= 50) {
        expect(p.jumpRatePerHour / expected.jumpRatePerHour).toBeGreaterThan(0.6);
        expect(p.jumpRatePerHour / expected.jumpRatePerHour).toBeLessThan(1.5);
      }
      const levels = series.map((entry) => {
        const info = model.series.find((s) => s.instanceType === entry.instanceType && s.zone === entry.zone);
        return timeWeightedMean(entry) / (info?.referenceUsdPerHour ?? Number.NaN);
      });
      const meanLevel = levels.reduce((a, b) => a + b, 0) / levels.length;
      expect(Math.abs(meanLevel - 1)).toBeLessThan(0.05);
    },
  );
});
