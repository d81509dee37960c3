import { readFileSync } from "node:fs";
import { join } from "node:path";
import { resolveSharedDataDir } from "@sentra/common";
import { describe, expect, it } from "vitest";
import { findRegion, REGION_CATALOG } from "./region-catalog.js";

interface SharedRegion {
  cloud: string;
  region: string;
  display_name: string;
  city: string;
  lat: number;
  lon: number;
}

/** Read from the shared data folder; fails (does not skip) when it is missing. */
function sharedRegions(): SharedRegion[] {
  const dir = resolveSharedDataDir(process.env);
  return (JSON.parse(readFileSync(join(dir, "regions.json"), "utf8")) as { regions: SharedRegion[] }).regions;
}

const REQUIRED: Record<string, string[]> = {
  aws: [
    "us-east-1",
    "us-east-2",
    "us-west-2",
    "eu-west-1",
    "eu-west-2",
    "eu-central-1",
    "ap-southeast-1",
    "ap-northeast-1",
    "sa-east-1",
  ],
  gcp: [
    "us-central1",
    "europe-west1",
    "asia-southeast1",
    "asia-northeast1",
    "southamerica-east1",
    "us-east1",
    "us-west1",
    "europe-west3",
  ],
  azure: ["eastus", "westeurope", "northcentralus", "southcentralus"],
};

describe("REGION_CATALOG", () => {
  it("matches shared/data/regions.json entry by entry", () => {
    const shared = new Map(sharedRegions().map((region) => [`${region.cloud}/${region.region}`, region]));
    for (const entry of REGION_CATALOG) {
      const source = shared.get(`${entry.cloud}/${entry.name}`);
      expect(source, `${entry.cloud}/${entry.name} missing from regions.json`).toBeDefined();
      expect({
        displayName: entry.displayName,
        city: entry.city,
        latitude: entry.latitude,
        longitude: entry.longitude,
      }).toEqual({
        displayName: source?.display_name,
        city: source?.city,
        latitude: source?.lat,
        longitude: source?.lon,
      });
    }
  });

  it("holds every region the demo and tests use, once", () => {
    for (const [cloud, names] of Object.entries(REQUIRED)) {
      for (const name of names) expect(findRegion(cloud, name), `${cloud}/${name}`).toBeDefined();
    }
    const keys = REGION_CATALOG.map((entry) => `${entry.cloud}/${entry.name}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("finds by cloud and name, and nothing else", () => {
    expect(findRegion("aws", "eu-west-1")?.city).toBe("Dublin");
    expect(findRegion("gcp", "eu-west-1")).toBeUndefined();
    expect(findRegion("aws", "mars-north-1")).toBeUndefined();
    expect(Object.isFrozen(REGION_CATALOG)).toBe(true);
  });
});
