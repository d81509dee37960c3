import { BYTES_PER_GIB } from "./cost-model.js";
import type { InstancePrice, RegionMarket } from "./region-market.js";
import type { WorkloadCostInput } from "./workload-cost-input.js";

const REGIONS: readonly [string, string][] = [
  ["aws", "us-east-1"],
  ["aws", "us-east-2"],
  ["aws", "us-west-1"],
  ["aws", "us-west-2"],
  ["aws", "ca-central-1"],
  ["aws", "eu-west-1"],
  ["aws", "eu-west-2"],
  ["aws", "eu-central-1"],
  ["aws", "ap-southeast-1"],
  ["aws", "ap-northeast-1"],
  ["gcp", "us-east1"],
  ["gcp", "us-central1"],
  ["gcp", "europe-west1"],
  ["gcp", "europe-west3"],
  ["gcp", "asia-southeast1"],
  ["azure", "eastus"],
  ["azure", "westus2"],
  ["azure", "westeurope"],
  ["azure", "northeurope"],
  ["azure", "australiaeast"],
];

/** Instance sizes of the synthetic markets: vCPUs, GiB (prices are synthetic too). */
const SIZES: readonly [string, number, number][] = [
  ["small", 2, 8],
  ["medium", 4, 16],
  ["large", 8, 32],
  ["xlarge", 16, 64],
  ["cpu-large", 8, 16],
  ["cpu-xlarge", 16, 32],
  ["mem-large", 4, 32],
  ["mem-xlarge", 8, 64],
];

/** Deterministic PRNG (mulberry32): the benchmark estate must be the same on every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A synthetic estate for timing only (prices are random, not market data): `regions` markets with
 * 8 instance types each (one market not live, a few stale prices) and `workloads` workloads drawn
 * from 48 request shapes, some pinned, restricted or tied to an instance type.
 */
export function createSyntheticEstate(
  workloads: number,
  regions: number,
  seed: number,
  nowMs: number,
): { workloads: WorkloadCostInput[]; markets: RegionMarket[] } {
  const rnd = random(seed);
  const used = REGIONS.slice(0, Math.min(regions, REGIONS.length));
  const markets: RegionMarket[] = used.map(([cloud, region], i) => ({
    cloud,
    region,
    satelliteId: `sat-${cloud}-${region}`,
    cluster: `${region}-a`,
    live: i !== used.length - 1,
    prices: SIZES.map(
      ([size, vcpus, memoryGib]): InstancePrice => ({
        instanceType: `${cloud}.${size}`,
        usdPerHour: vcpus * (0.012 + rnd() * 0.01) + memoryGib * 0.001,
        vcpus,
        memoryGib,
        observedAtMs: rnd() < 0.05 ? nowMs - 3_600_000 : nowMs - Math.floor(rnd() * 60_000),
      }),
    ),
  }));
  const cpus = [100, 250, 500, 1000, 2000, 4000];
  const memories = [0.25, 0.5, 1, 2, 4, 8, 12, 16];
  const list: WorkloadCostInput[] = [];
  for (let i = 0; i < workloads; i++) {
    const [cloud, region] = used[Math.floor(rnd() * used.length)] as [string, string];
    const roll = rnd();
    list.push({
      id: `ns-${i % 97}/app-${i}`,
      satelliteId: `sat-${cloud}-${region}`,
      cluster: `${region}-a`,
      namespace: `ns-${i % 97}`,
      name: `app-${i}`,
      cloud,
      region,
      replicas: 1 + Math.floor(rnd() * 10),
      cpuMillicores: cpus[Math.floor(rnd() * cpus.length)] as number,
      memoryBytes: (memories[Math.floor(rnd() * memories.length)] as number) * BYTES_PER_GIB,
      stateGb: Math.floor(rnd() * 200),
      ...(roll < 0.05 ? { pinned: true } : {}),
      ...(roll >= 0.05 && roll < 0.15 ? { allowedClouds: [cloud] } : {}),
      ...(roll >= 0.15 && roll < 0.2 ? { allowedRegions: ["us-east-1", "eu-west-1", "gcp:europe-west1"] } : {}),
    });
  }
  return { workloads: list, markets };
}
