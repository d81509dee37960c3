import { describe, expect, it } from "vitest";
import { REGION_CATALOG } from "../region/region-catalog.js";
import { instanceTypesOf } from "./instance-types.js";
import { modelParametersFor } from "./model-parameters.js";
import { ON_DEMAND_PRICES, REFERENCE_SPOT_PRICES, regionMultiplier, resolveSeriesPricing } from "./reference-prices.js";

const find = (table: typeof REFERENCE_SPOT_PRICES, cloud: string, region: string, type: string): number => {
  const entry = table.find((e) => e.cloud === cloud && e.region === region && e.instanceType === type);
  if (entry === undefined) throw new Error(`no entry ${cloud} ${region} ${type}`);
  return entry.usdPerHour;
};
const resolve = (cloud: string, region: string, type: string) =>
  resolveSeriesPricing(cloud, region, type, modelParametersFor(cloud, type).spotToOnDemandRatio);

describe("resolveSeriesPricing", () => {
  it("prices every instance type of its cloud in every catalog region, below on-demand", () => {
    for (const region of REGION_CATALOG) {
      for (const type of instanceTypesOf(region.cloud)) {
        const pricing = resolve(region.cloud, region.name, type.name);
        expect(pricing.referenceUsdPerHour, `${region.name} ${type.name}`).toBeGreaterThan(0);
        expect(pricing.onDemandUsdPerHour, `${region.name} ${type.name}`).toBeGreaterThan(pricing.referenceUsdPerHour);
      }
    }
  });

  it("uses the data where it exists", () => {
    const pricing = resolve("gcp", "europe-west1", "n2-standard-2");
    expect(pricing.referenceUsdPerHour).toBe(find(REFERENCE_SPOT_PRICES, "gcp", "europe-west1", "n2-standard-2"));
    expect(pricing.onDemandUsdPerHour).toBe(find(ON_DEMAND_PRICES, "gcp", "europe-west1", "n2-standard-2"));
    expect(pricing.derivation.reference).toBe("spot data gcp europe-west1 n2-standard-2");
  });

  it("scales a same-shape sibling by vCPUs (n2-standard-8 from n2-standard-4)", () => {
    const pricing = resolve("gcp", "us-east1", "n2-standard-8");
    expect(pricing.referenceUsdPerHour).toBeCloseTo(
      2 * find(REFERENCE_SPOT_PRICES, "gcp", "us-east1", "n2-standard-4"),
      12,
    );
    expect(pricing.onDemandUsdPerHour).toBeCloseTo(2 * find(ON_DEMAND_PRICES, "gcp", "us-east1", "n2-standard-4"), 12);
  });

  it("scales the home region by the regional on-demand multiplier (aws eu-west-1 m5.large)", () => {
    const multiplier = regionMultiplier("aws", "eu-west-1")?.usdPerHour ?? Number.NaN;
    const expected =
      ["m5.large", "m5.xlarge", "c5.large", "c5.xlarge"]
        .map(
          (type) => find(ON_DEMAND_PRICES, "aws", "eu-west-1", type) / find(ON_DEMAND_PRICES, "aws", "us-east-1", type),
        )
        .reduce((a, b) => a + b) / 4;
    expect(multiplier).toBeCloseTo(expected, 12);
    const pricing = resolve("aws", "eu-west-1", "m5.large");
    expect(pricing.referenceUsdPerHour).toBeCloseTo(
      find(REFERENCE_SPOT_PRICES, "aws", "us-east-1", "m5.large") * multiplier,
      12,
    );
    expect(pricing.onDemandUsdPerHour).toBe(find(ON_DEMAND_PRICES, "aws", "eu-west-1", "m5.large"));
  });

  it("borrows sa-east-1's multiplier from GCP São Paulo, and prices Azure as the same-shape AWS type", () => {
    expect(regionMultiplier("aws", "sa-east-1")?.usdPerHour).toBe(
      regionMultiplier("gcp", "southamerica-east1")?.usdPerHour,
    );
    expect(regionMultiplier("aws", "sa-east-1")?.usdPerHour).toBeGreaterThan(1.3);
    const azure = resolve("azure", "westeurope", "Standard_D2s_v5");
    const aws = resolve("aws", "eu-west-1", "m5.large");
    expect(azure.referenceUsdPerHour).toBe(aws.referenceUsdPerHour);
    expect(azure.derivation.reference).toMatch(/^proxy: /);
  });

  it("derives a missing on-demand price from the calibrated ratio (r5 has no on-demand data)", () => {
    const pricing = resolve("aws", "us-east-1", "r5.large");
    const ratio = modelParametersFor("aws", "r5.large").spotToOnDemandRatio;
    expect(pricing.onDemandUsdPerHour).toBeCloseTo(pricing.referenceUsdPerHour / ratio, 12);
    expect(pricing.derivation.onDemand).toMatch(/calibrated spot\/on-demand ratio/);
  });

  it("refuses a region it has no data or proxy for", () => {
    expect(() => resolve("aws", "eu-north-9", "m5.large")).toThrow(
      /no price data or proxy for aws eu-north-9 m5.large/,
    );
  });
});
