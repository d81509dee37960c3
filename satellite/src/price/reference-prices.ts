import { SentraError } from "@sentra/common";
import { findInstanceType, INSTANCE_TYPES, type InstanceType } from "./instance-types.js";

/** A price of one (cloud, region, instance type), USD per hour. */
export interface PriceTableEntry {
  cloud: string;
  region: string;
  instanceType: string;
  usdPerHour: number;
}

type Row = readonly [cloud: string, region: string, instanceType: string, usdPerHour: number];

/**
 * Long-run spot price levels, for the regions of the region catalog and the known instance types
 * only: the median over zones of each zone's time-weighted mean price in shared/data/spot
 * (see `referencePrices` in calibrate.ts). Sources: aws us-east-1 m5/m5a/c5/r5/t3 —
 * aws-us-east-1-cpu-2021-03_2021-05.csv (LucianaMarques/amazon-spot-dataset); aws p2/p3 —
 * aws-gpu-6-regions-2019-12_2020-03.csv (stanford-futuredata/training_on_a_dime, MIT); gcp —
 * gcp-spot-weekly-8-regions-2023-05_2026-07.csv (Cyclenerd/google-cloud-pricing-cost-calculator,
 * Apache-2.0). `calibrate.test.ts` recomputes every entry from the data.
 */
export const REFERENCE_SPOT_PRICES: readonly PriceTableEntry[] = entries([
  // BEGIN GENERATED REFERENCE_SPOT_PRICES: node satellite/dist/price/calibrate-main.js --typescript
  ["aws", "eu-central-1", "p2.xlarge", 0.469074],
  ["aws", "eu-central-1", "p3.2xlarge", 1.1469],
  ["aws", "eu-west-1", "p2.xlarge", 0.312997],
  ["aws", "eu-west-1", "p3.2xlarge", 0.99687],
  ["aws", "eu-west-2", "p3.2xlarge", 1.080584],
  ["aws", "us-east-1", "c5.2xlarge", 0.170062],
  ["aws", "us-east-1", "c5.large", 0.037012],
  ["aws", "us-east-1", "c5.xlarge", 0.06821],
  ["aws", "us-east-1", "m5.large", 0.042121],
  ["aws", "us-east-1", "m5.xlarge", 0.073617],
  ["aws", "us-east-1", "m5a.large", 0.039714],
  ["aws", "us-east-1", "p2.xlarge", 0.380894],
  ["aws", "us-east-1", "p3.2xlarge", 0.960602],
  ["aws", "us-east-1", "r5.large", 0.038543],
  ["aws", "us-east-1", "r5.xlarge", 0.100002],
  ["aws", "us-east-1", "t3.large", 0.027539],
  ["aws", "us-east-1", "t3.medium", 0.01307],
  ["aws", "us-east-2", "p2.xlarge", 0.280392],
  ["aws", "us-east-2", "p3.2xlarge", 1.027061],
  ["aws", "us-west-2", "p2.xlarge", 0.316451],
  ["aws", "us-west-2", "p3.2xlarge", 0.986697],
  ["gcp", "asia-northeast1", "e2-standard-2", 0.034272],
  ["gcp", "asia-northeast1", "n2-highcpu-4", 0.045049],
  ["gcp", "asia-northeast1", "n2-standard-2", 0.030479],
  ["gcp", "asia-northeast1", "n2-standard-4", 0.060957],
  ["gcp", "asia-southeast1", "e2-standard-2", 0.033376],
  ["gcp", "asia-southeast1", "n2-highcpu-4", 0.058356],
  ["gcp", "asia-southeast1", "n2-standard-2", 0.039516],
  ["gcp", "asia-southeast1", "n2-standard-4", 0.079033],
  ["gcp", "europe-west1", "e2-standard-2", 0.026533],
  ["gcp", "europe-west1", "n2-highcpu-4", 0.020781],
  ["gcp", "europe-west1", "n2-standard-2", 0.014072],
  ["gcp", "europe-west1", "n2-standard-4", 0.028145],
  ["gcp", "europe-west3", "e2-standard-2", 0.033728],
  ["gcp", "europe-west3", "n2-highcpu-4", 0.062111],
  ["gcp", "europe-west3", "n2-standard-2", 0.042249],
  ["gcp", "europe-west3", "n2-standard-4", 0.084498],
  ["gcp", "southamerica-east1", "e2-standard-2", 0.01826],
  ["gcp", "southamerica-east1", "n2-highcpu-4", 0.045911],
  ["gcp", "southamerica-east1", "n2-standard-2", 0.031097],
  ["gcp", "southamerica-east1", "n2-standard-4", 0.062194],
  ["gcp", "us-central1", "e2-standard-2", 0.025348],
  ["gcp", "us-central1", "n2-highcpu-4", 0.041465],
  ["gcp", "us-central1", "n2-standard-2", 0.028077],
  ["gcp", "us-central1", "n2-standard-4", 0.056153],
  ["gcp", "us-east1", "e2-standard-2", 0.025348],
  ["gcp", "us-east1", "n2-highcpu-4", 0.041465],
  ["gcp", "us-east1", "n2-standard-2", 0.028077],
  ["gcp", "us-east1", "n2-standard-4", 0.056153],
  ["gcp", "us-west1", "e2-standard-2", 0.025348],
  ["gcp", "us-west1", "n2-highcpu-4", 0.041465],
  ["gcp", "us-west1", "n2-standard-2", 0.028077],
  ["gcp", "us-west1", "n2-standard-4", 0.056153],
  // END GENERATED REFERENCE_SPOT_PRICES
]);

/**
 * On-demand (list) prices, for the regions of the region catalog: shared/data/ondemand-prices.csv —
 * AWS m5/c5 rows from skypilot-org/skypilot-catalog v7 (Apache-2.0, capture date unknown), AWS p2/p3
 * us-east-1 from the training_on_a_dime notebook (2020-03), GCP from Cyclenerd pricing.yml
 * (2023-05-08, unchanged through 2026-07-30). `calibrate.test.ts` checks every entry against the file.
 */
export const ON_DEMAND_PRICES: readonly PriceTableEntry[] = entries([
  // BEGIN GENERATED ON_DEMAND_PRICES: node satellite/dist/price/calibrate-main.js --typescript
  ["aws", "ap-northeast-1", "c5.large", 0.107],
  ["aws", "ap-northeast-1", "c5.xlarge", 0.214],
  ["aws", "ap-northeast-1", "m5.large", 0.124],
  ["aws", "ap-northeast-1", "m5.xlarge", 0.248],
  ["aws", "ap-southeast-1", "c5.large", 0.098],
  ["aws", "ap-southeast-1", "c5.xlarge", 0.196],
  ["aws", "ap-southeast-1", "m5.large", 0.12],
  ["aws", "ap-southeast-1", "m5.xlarge", 0.24],
  ["aws", "eu-central-1", "c5.large", 0.097],
  ["aws", "eu-central-1", "c5.xlarge", 0.194],
  ["aws", "eu-central-1", "m5.large", 0.115],
  ["aws", "eu-central-1", "m5.xlarge", 0.23],
  ["aws", "eu-west-1", "c5.large", 0.096],
  ["aws", "eu-west-1", "c5.xlarge", 0.192],
  ["aws", "eu-west-1", "m5.large", 0.107],
  ["aws", "eu-west-1", "m5.xlarge", 0.214],
  ["aws", "eu-west-2", "c5.large", 0.101],
  ["aws", "eu-west-2", "c5.xlarge", 0.202],
  ["aws", "eu-west-2", "m5.large", 0.111],
  ["aws", "eu-west-2", "m5.xlarge", 0.222],
  ["aws", "us-east-1", "c5.large", 0.085],
  ["aws", "us-east-1", "c5.xlarge", 0.17],
  ["aws", "us-east-1", "m5.large", 0.096],
  ["aws", "us-east-1", "m5.xlarge", 0.192],
  ["aws", "us-east-1", "p2.xlarge", 0.9],
  ["aws", "us-east-1", "p3.2xlarge", 3.06],
  ["aws", "us-east-2", "c5.large", 0.085],
  ["aws", "us-east-2", "c5.xlarge", 0.17],
  ["aws", "us-east-2", "m5.large", 0.096],
  ["aws", "us-east-2", "m5.xlarge", 0.192],
  ["aws", "us-west-2", "c5.large", 0.085],
  ["aws", "us-west-2", "c5.xlarge", 0.17],
  ["aws", "us-west-2", "m5.large", 0.096],
  ["aws", "us-west-2", "m5.xlarge", 0.192],
  ["gcp", "asia-northeast1", "e2-standard-2", 0.085966],
  ["gcp", "asia-northeast1", "n2-highcpu-4", 0.184148],
  ["gcp", "asia-northeast1", "n2-standard-2", 0.124588],
  ["gcp", "asia-northeast1", "n2-standard-4", 0.249176],
  ["gcp", "asia-southeast1", "e2-standard-2", 0.082666],
  ["gcp", "asia-southeast1", "n2-highcpu-4", 0.1769],
  ["gcp", "asia-southeast1", "n2-standard-2", 0.119806],
  ["gcp", "asia-southeast1", "n2-standard-4", 0.239612],
  ["gcp", "europe-west1", "e2-standard-2", 0.073715],
  ["gcp", "europe-west1", "n2-highcpu-4", 0.157736],
  ["gcp", "europe-west1", "n2-standard-2", 0.106834],
  ["gcp", "europe-west1", "n2-standard-4", 0.213668],
  ["gcp", "europe-west3", "e2-standard-2", 0.086336],
  ["gcp", "europe-west3", "n2-highcpu-4", 0.184752],
  ["gcp", "europe-west3", "n2-standard-2", 0.125124],
  ["gcp", "europe-west3", "n2-standard-4", 0.250248],
  ["gcp", "southamerica-east1", "e2-standard-2", 0.10637],
  ["gcp", "southamerica-east1", "n2-highcpu-4", 0.22762],
  ["gcp", "southamerica-east1", "n2-standard-2", 0.15416],
  ["gcp", "southamerica-east1", "n2-standard-4", 0.30832],
  ["gcp", "us-central1", "e2-standard-2", 0.067011],
  ["gcp", "us-central1", "n2-highcpu-4", 0.143392],
  ["gcp", "us-central1", "n2-standard-2", 0.097118],
  ["gcp", "us-central1", "n2-standard-4", 0.194236],
  ["gcp", "us-east1", "e2-standard-2", 0.067011],
  ["gcp", "us-east1", "n2-highcpu-4", 0.143392],
  ["gcp", "us-east1", "n2-standard-2", 0.097118],
  ["gcp", "us-east1", "n2-standard-4", 0.194236],
  ["gcp", "us-west1", "e2-standard-2", 0.067011],
  ["gcp", "us-west1", "n2-highcpu-4", 0.143392],
  ["gcp", "us-west1", "n2-standard-2", 0.097118],
  ["gcp", "us-west1", "n2-standard-4", 0.194236],
  // END GENERATED ON_DEMAND_PRICES
]);

/** The region each cloud's prices are scaled from when a region has no data of its own. */
export const HOME_REGIONS: Readonly<Record<string, string>> = Object.freeze({ aws: "us-east-1", gcp: "us-central1" });

/**
 * Regions without on-demand data whose regional multiplier is borrowed from a region of another
 * cloud in the same metro. AWS sa-east-1 is in no data file (shared/data/README.md, "Not found");
 * GCP southamerica-east1 (Osasco, São Paulo) relative to us-central1 stands in for it.
 */
export const REGION_MULTIPLIER_PROXIES: Readonly<Record<string, { cloud: string; region: string }>> = Object.freeze({
  "aws/sa-east-1": { cloud: "gcp", region: "southamerica-east1" },
});

/**
 * Azure has no general-purpose spot or on-demand data (shared/data/README.md, "Not found"), so its
 * sizes are priced as the AWS type of the same shape in the nearest AWS region: an assumption that
 * keeps the demo's Azure regions in a plausible range, not a measurement.
 */
export const CROSS_CLOUD_PROXIES: Readonly<{
  regions: Readonly<Record<string, { cloud: string; region: string }>>;
  instanceTypes: Readonly<Record<string, string>>;
}> = Object.freeze({
  regions: {
    "azure/eastus": { cloud: "aws", region: "us-east-1" },
    "azure/northcentralus": { cloud: "aws", region: "us-east-2" },
    "azure/southcentralus": { cloud: "aws", region: "us-east-1" },
    "azure/westeurope": { cloud: "aws", region: "eu-west-1" },
  },
  instanceTypes: {
    // Same vCPUs and memory (2/8, 4/16).
    "azure/Standard_D2s_v5": "m5.large",
    "azure/Standard_D4s_v5": "m5.xlarge",
  },
});

/** The price levels of one series and how each was obtained. */
export interface SeriesPricing {
  /** Long-run mean spot price, USD per hour. */
  referenceUsdPerHour: number;
  /** On-demand price: the cap of the spot price, USD per hour. */
  onDemandUsdPerHour: number;
  /** Human-readable derivations, e.g. "aws us-east-1 m5.large × 1.119 (eu-west-1 / us-east-1 on-demand)". */
  derivation: { reference: string; onDemand: string };
}

interface Lookup {
  usdPerHour: number;
  how: string;
}

/**
 * Resolves the reference (long-run spot) and on-demand prices of a series, in this order: the data
 * of that region and type; a same-family type of the same memory/vCPU ratio in that region, scaled
 * by vCPUs; the cloud's home region scaled by the regional on-demand multiplier; the cross-cloud
 * proxy (Azure). A missing on-demand price is derived as reference / `spotToOnDemandRatio`, and a
 * missing reference as on-demand × that ratio. Throws INVALID_ARGUMENT when neither is known.
 */
export function resolveSeriesPricing(
  cloud: string,
  region: string,
  instanceType: string,
  spotToOnDemandRatio: number,
): SeriesPricing {
  const reference = resolvePrice(REFERENCE_SPOT_PRICES, "spot", cloud, region, instanceType);
  const onDemand = resolvePrice(ON_DEMAND_PRICES, "on-demand", cloud, region, instanceType);
  if (reference !== undefined && onDemand !== undefined) {
    return {
      referenceUsdPerHour: reference.usdPerHour,
      onDemandUsdPerHour: Math.max(onDemand.usdPerHour, reference.usdPerHour),
      derivation: { reference: reference.how, onDemand: onDemand.how },
    };
  }
  if (reference !== undefined) {
    return {
      referenceUsdPerHour: reference.usdPerHour,
      onDemandUsdPerHour: reference.usdPerHour / spotToOnDemandRatio,
      derivation: {
        reference: reference.how,
        onDemand: `reference / ${round(spotToOnDemandRatio)} (calibrated spot/on-demand ratio)`,
      },
    };
  }
  if (onDemand !== undefined) {
    return {
      referenceUsdPerHour: onDemand.usdPerHour * spotToOnDemandRatio,
      onDemandUsdPerHour: onDemand.usdPerHour,
      derivation: {
        reference: `on-demand × ${round(spotToOnDemandRatio)} (calibrated spot/on-demand ratio)`,
        onDemand: onDemand.how,
      },
    };
  }
  throw SentraError.invalidArgument("region", `no price data or proxy for ${cloud} ${region} ${instanceType}`);
}

/**
 * The ratio of a region's on-demand prices to its cloud's home region (mean over the types priced in
 * both), or the proxy region's ratio; undefined when neither is known.
 */
export function regionMultiplier(cloud: string, region: string): Lookup | undefined {
  const home = HOME_REGIONS[cloud];
  if (home === undefined) return undefined;
  if (region === home) return { usdPerHour: 1, how: "home region" };
  const ratios: number[] = [];
  for (const entry of ON_DEMAND_PRICES) {
    if (entry.cloud !== cloud || entry.region !== region) continue;
    const atHome = direct(ON_DEMAND_PRICES, cloud, home, entry.instanceType);
    if (atHome !== undefined) ratios.push(entry.usdPerHour / atHome);
  }
  if (ratios.length > 0) {
    const mean = ratios.reduce((a, b) => a + b, 0) / ratios.length;
    return { usdPerHour: mean, how: `${region} / ${home} on-demand, mean of ${ratios.length} types` };
  }
  const proxy = REGION_MULTIPLIER_PROXIES[`${cloud}/${region}`];
  const borrowed = proxy === undefined ? undefined : regionMultiplier(proxy.cloud, proxy.region);
  if (proxy === undefined || borrowed === undefined) return undefined;
  return { usdPerHour: borrowed.usdPerHour, how: `no ${cloud} data; ${proxy.cloud} ${borrowed.how}` };
}

function resolvePrice(
  table: readonly PriceTableEntry[],
  label: string,
  cloud: string,
  region: string,
  instanceType: string,
): Lookup | undefined {
  const local = inRegion(table, label, cloud, region, instanceType);
  if (local !== undefined) return local;
  const home = HOME_REGIONS[cloud];
  if (home !== undefined && home !== region) {
    const atHome = inRegion(table, label, cloud, home, instanceType);
    const multiplier = regionMultiplier(cloud, region);
    if (atHome !== undefined && multiplier !== undefined) {
      return {
        usdPerHour: atHome.usdPerHour * multiplier.usdPerHour,
        how: `${atHome.how} × ${round(multiplier.usdPerHour)} (${multiplier.how})`,
      };
    }
  }
  const proxyRegion = CROSS_CLOUD_PROXIES.regions[`${cloud}/${region}`];
  const proxyType = CROSS_CLOUD_PROXIES.instanceTypes[`${cloud}/${instanceType}`];
  if (proxyRegion !== undefined && proxyType !== undefined) {
    const proxied = resolvePrice(table, label, proxyRegion.cloud, proxyRegion.region, proxyType);
    if (proxied !== undefined) return { usdPerHour: proxied.usdPerHour, how: `proxy: ${proxied.how}` };
  }
  return undefined;
}

function inRegion(
  table: readonly PriceTableEntry[],
  label: string,
  cloud: string,
  region: string,
  instanceType: string,
): Lookup | undefined {
  const exact = direct(table, cloud, region, instanceType);
  if (exact !== undefined) return { usdPerHour: exact, how: `${label} data ${cloud} ${region} ${instanceType}` };
  const shape = findInstanceType(cloud, instanceType);
  if (shape === undefined) return undefined;
  // The closest size wins (n2-standard-8 from n2-standard-4 rather than -2).
  let best: { sibling: InstanceType; price: number } | undefined;
  for (const sibling of INSTANCE_TYPES) {
    if (sibling.cloud !== cloud || sibling.family !== shape.family || sibling.name === instanceType) continue;
    if (sibling.memoryGib * shape.vcpus !== shape.memoryGib * sibling.vcpus) continue;
    const price = direct(table, cloud, region, sibling.name);
    if (price === undefined) continue;
    const distance = Math.abs(Math.log(sibling.vcpus / shape.vcpus));
    if (best === undefined || distance < Math.abs(Math.log(best.sibling.vcpus / shape.vcpus))) {
      best = { sibling, price };
    }
  }
  if (best === undefined) return undefined;
  return {
    usdPerHour: (best.price * shape.vcpus) / best.sibling.vcpus,
    how: `${label} data ${cloud} ${region} ${best.sibling.name} × ${shape.vcpus}/${best.sibling.vcpus} vCPUs`,
  };
}

const INDEX = new WeakMap<readonly PriceTableEntry[], Map<string, number>>();

function direct(
  table: readonly PriceTableEntry[],
  cloud: string,
  region: string,
  instanceType: string,
): number | undefined {
  let index = INDEX.get(table);
  if (index === undefined) {
    index = new Map(table.map((entry) => [`${entry.cloud}/${entry.region}/${entry.instanceType}`, entry.usdPerHour]));
    INDEX.set(table, index);
  }
  return index.get(`${cloud}/${region}/${instanceType}`);
}

function entries(rows: readonly Row[]): readonly PriceTableEntry[] {
  return Object.freeze(
    rows.map(([cloud, region, instanceType, usdPerHour]) => Object.freeze({ cloud, region, instanceType, usdPerHour })),
  );
}

function round(value: number): string {
  return value.toFixed(3);
}
