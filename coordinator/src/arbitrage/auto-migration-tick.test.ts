import { SentraError } from "@sentra/common";
import { describe, expect, it } from "vitest";
import type { AutoMigrationStateStore, MigrationStarter } from "./arbitrage-ports.js";
import { type AutoMigrationState, createAutoMigrationPolicy } from "./auto-migration-policy.js";
import { runAutoMigrationTick } from "./auto-migration-tick.js";
import { BYTES_PER_GIB } from "./cost-model.js";
import type { MigrationPlan } from "./migration-plan.js";
import { createOpportunityFinder } from "./opportunity-finder.js";
import type { PriceOrigin, RegionMarket } from "./region-market.js";
import type { WorkloadCostInput } from "./workload-cost-input.js";

const NOW = Date.UTC(2026, 0, 1);

const workload = (id: string): WorkloadCostInput => ({
  id,
  satelliteId: "sat-us-east-1",
  cluster: "use1",
  namespace: id.split("/")[0] ?? "",
  name: id.split("/")[1] ?? "",
  cloud: "aws",
  region: "us-east-1",
  replicas: 10,
  cpuMillicores: 2000,
  memoryBytes: 8 * BYTES_PER_GIB,
  stateGb: 1,
});
const market = (region: string, usdPerHour: number, source: PriceOrigin = "live"): RegionMarket => ({
  cloud: "aws",
  region,
  satelliteId: `sat-${region}`,
  cluster: region,
  live: true,
  prices: [{ instanceType: "m5.large", usdPerHour, vcpus: 2, memoryGib: 8, observedAtMs: NOW, source }],
});

function fakes(
  starter: MigrationStarter,
  markets: RegionMarket[] = [market("us-east-1", 0.2), market("us-east-2", 0.1)],
  allowSyntheticPrices = false,
  workloads: WorkloadCostInput[] = [workload("a/one"), workload("a/two")],
  optInNamespaces: string[] = ["a"],
) {
  let saved: AutoMigrationState | null = null;
  const policy = createAutoMigrationPolicy({ enabled: true, sustainSeconds: 0, allowSyntheticPrices, optInNamespaces });
  const store: AutoMigrationStateStore = {
    load: async () => saved ?? policy.initialState(),
    save: async (state) => {
      saved = state;
    },
  };
  return {
    deps: {
      clock: { nowMs: () => NOW },
      estate: {
        listWorkloads: async () => workloads,
        listMarkets: async () => markets,
      },
      store,
      starter,
      finder: createOpportunityFinder(),
      policy,
    },
    saved: () => saved,
  };
}

describe("runAutoMigrationTick", () => {
  it("refuses to move on a model-priced target and moves on live prices (real finder)", async () => {
    const started: MigrationPlan[] = [];
    const starter: MigrationStarter = { start: async (plan) => void started.push(plan) };
    const model = fakes(starter, [market("us-east-1", 0.2), market("us-east-2", 0.1, "model")]);
    const refused = await runAutoMigrationTick(model.deps);
    expect(started).toEqual([]);
    expect(refused.held.map((hold) => [hold.workloadId, hold.reason])).toEqual([
      ["a/one", "synthetic-prices"],
      ["a/two", "synthetic-prices"],
    ]);
    expect(model.saved()?.inFlight).toEqual({});

    const live = fakes(starter);
    await runAutoMigrationTick(live.deps);
    expect(started.map((plan) => [plan.workloadId, plan.source.priceSource, plan.target.priceSource])).toEqual([
      ["a/one", "live", "live"],
      ["a/two", "live", "live"],
    ]);

    started.length = 0;
    const allowed = fakes(starter, [market("us-east-1", 0.2, "replay"), market("us-east-2", 0.1, "model")], true);
    await runAutoMigrationTick(allowed.deps);
    expect(started.map((plan) => plan.target.priceSource)).toEqual(["model", "model"]);
  });

  it("starts the policy's migrations through the port and saves the state", async () => {
    const started: MigrationPlan[] = [];
    const { deps, saved } = fakes({ start: async (plan) => void started.push(plan) });
    const result = await runAutoMigrationTick(deps);
    expect(started.map((p) => [p.workloadId, p.target.region])).toEqual([
      ["a/one", "us-east-2"],
      ["a/two", "us-east-2"],
    ]);
    expect(Object.keys(saved()?.inFlight ?? {}).sort()).toEqual(["a/one", "a/two"]);
    expect(result.failedStarts).toEqual([]);
  });

  it("ends a refused start at once so its slot frees and its cool-down begins", async () => {
    const { deps, saved } = fakes({
      start: async (plan) => {
        if (plan.workloadId === "a/two") throw new SentraError("ABORTED", "workload locked");
      },
    });
    const result = await runAutoMigrationTick(deps);
    expect(result.failedStarts.map((f) => [f.workloadId, f.error.code])).toEqual([["a/two", "ABORTED"]]);
    expect(Object.keys(saved()?.inFlight ?? {})).toEqual(["a/one"]);
    expect(saved()?.cooldownUntilMs["a/two"]).toBeGreaterThan(NOW);
  });

  it("moves only workloads that opted in (annotation or namespace), never protected ones", async () => {
    const started: MigrationPlan[] = [];
    const workloads = [
      workload("a/listed"), // namespace a is listed
      { ...workload("a/opted-out"), autoMigrate: false }, // listed namespace, annotation says no
      workload("b/silent"), // namespace b is not listed, no annotation
      { ...workload("b/annotated"), autoMigrate: true },
      { ...workload("kube-system/coredns"), autoMigrate: true, protectedReason: "namespace kube-system" },
    ];
    const { deps, saved } = fakes({ start: async (plan) => void started.push(plan) }, undefined, false, workloads, [
      "a",
      "kube-system",
    ]);
    const result = await runAutoMigrationTick(deps);
    expect(started.map((plan) => plan.workloadId).sort()).toEqual(["a/listed", "b/annotated"]);
    // The others are not even held: no sustain clock runs for them.
    expect(result.held).toEqual([]);
    expect(Object.keys(saved()?.sustained ?? {})).toEqual([]);
  });

  it("moves nothing by default (no namespace listed, no annotation)", async () => {
    const started: MigrationPlan[] = [];
    const { deps } = fakes({ start: async (plan) => void started.push(plan) }, undefined, false, undefined, []);
    await runAutoMigrationTick(deps);
    expect(started).toEqual([]);
  });
});
