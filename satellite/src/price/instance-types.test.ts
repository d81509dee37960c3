import { readFileSync } from "node:fs";
import { join } from "node:path";
import { resolveSharedDataDir } from "@sentra/common";
import { beforeAll, describe, expect, it } from "vitest";
import { loadOnDemandPrices, type OnDemandPrice } from "./calibrate.js";
import { findInstanceType, INSTANCE_TYPES, instanceFamily, instanceTypesOf } from "./instance-types.js";

let onDemand: OnDemandPrice[];
const price = (cloud: string, region: string, type: string): number | undefined =>
  onDemand.find((row) => row.cloud === cloud && row.region === region && row.instanceType === type)?.usdPerHour;
const shape = (cloud: string, name: string) => {
  const found = findInstanceType(cloud, name);
  if (found === undefined) throw new Error(`no shape for ${cloud} ${name}`);
  return found;
};

beforeAll(async () => {
  onDemand = await loadOnDemandPrices(resolveSharedDataDir(process.env));
});

describe("INSTANCE_TYPES", () => {
  it("AWS shapes agree with on-demand prices, which scale with vCPUs within a family", () => {
    const regions = [...new Set(onDemand.filter((row) => row.cloud === "aws").map((row) => row.region))];
    let checked = 0;
    for (const region of regions) {
      for (const [small, large] of [
        ["m5.large", "m5.xlarge"],
        ["c5.large", "c5.xlarge"],
      ] as const) {
        const [smallPrice, largePrice] = [price("aws", region, small), price("aws", region, large)];
        if (smallPrice === undefined || largePrice === undefined) continue;
        // Prices are printed to 3 decimals (e.g. me-central-1 0.118 / 0.235), hence 1 %.
        const expected = shape("aws", large).vcpus / shape("aws", small).vcpus;
        expect(Math.abs(largePrice / smallPrice / expected - 1), `${region} ${large}/${small}`).toBeLessThan(0.01);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(40);
  });

  it("GCP N2 shapes agree with on-demand prices = vCPUs × a + GiB × b in every region", () => {
    const regions = [...new Set(onDemand.filter((row) => row.cloud === "gcp").map((row) => row.region))];
    expect(regions).toHaveLength(8);
    for (const region of regions) {
      // Solve a (per vCPU) and b (per GiB) from two shapes, predict the third.
      const s2 = shape("gcp", "n2-standard-2");
      const h4 = shape("gcp", "n2-highcpu-4");
      const s4 = shape("gcp", "n2-standard-4");
      const [p2, p4h, p4] = [
        price("gcp", region, s2.name),
        price("gcp", region, h4.name),
        price("gcp", region, s4.name),
      ];
      if (p2 === undefined || p4h === undefined || p4 === undefined) throw new Error(`missing n2 prices in ${region}`);
      const det = s2.vcpus * h4.memoryGib - s2.memoryGib * h4.vcpus;
      const a = (p2 * h4.memoryGib - s2.memoryGib * p4h) / det;
      const b = (s2.vcpus * p4h - p2 * h4.vcpus) / det;
      expect(a).toBeGreaterThan(0);
      expect(b).toBeGreaterThan(0);
      expect(s4.vcpus * a + s4.memoryGib * b, region).toBeCloseTo(p4, 5);
    }
  });

  it("covers the instance types of the real data that Sentra uses, with their families", () => {
    const spotDir = join(resolveSharedDataDir(process.env), "spot");
    const awsCpu = readFileSync(join(spotDir, "aws-us-east-1-cpu-2021-03_2021-05.csv"), "utf8");
    const awsGpu = readFileSync(join(spotDir, "aws-gpu-6-regions-2019-12_2020-03.csv"), "utf8");
    const gcp = readFileSync(join(spotDir, "gcp-spot-weekly-8-regions-2023-05_2026-07.csv"), "utf8");
    const cpu = [
      "m5.large",
      "m5.xlarge",
      "m5a.large",
      "c5.large",
      "c5.xlarge",
      "c5.2xlarge",
      "r5.large",
      "r5.xlarge",
      "t3.medium",
      "t3.large",
    ];
    for (const name of cpu) expect(awsCpu.includes(`,aws,us-east-1,us-east-1a,${name},`), name).toBe(true);
    for (const name of ["p2.xlarge", "p3.2xlarge"]) expect(awsGpu.includes(`,${name},`), name).toBe(true);
    for (const name of ["n2-standard-2", "n2-standard-4", "n2-highcpu-4", "e2-standard-2"]) {
      expect(gcp.includes(`,${name},`), name).toBe(true);
    }
    for (const name of [...cpu, "p2.xlarge", "p3.2xlarge"]) expect(findInstanceType("aws", name), name).toBeDefined();
    for (const type of INSTANCE_TYPES) expect(type.family).toBe(instanceFamily(type.cloud, type.name));
  });

  it("names families per cloud", () => {
    expect(instanceFamily("aws", "m5a.large")).toBe("m5a");
    expect(instanceFamily("gcp", "n2-highcpu-4")).toBe("n2");
    expect(instanceFamily("azure", "Standard_NC6s_v3")).toBe("NC");
    expect(instanceFamily("azure", "Standard_D2s_v5")).toBe("D");
    expect(instanceTypesOf("azure").map((type) => type.name)).toEqual(["Standard_D2s_v5", "Standard_D4s_v5"]);
    expect(findInstanceType("aws", "n2-standard-2")).toBeUndefined();
  });
});
