import { describe, expect, it } from "vitest";
import {
  type AutoMigrationOptions,
  type AutoMigrationState,
  createAutoMigrationPolicy,
} from "./auto-migration-policy.js";
import { BYTES_PER_GIB } from "./cost-model.js";
import { type ArbitrageOpportunity, findOpportunities } from "./opportunity-finder.js";
import type { RegionMarket } from "./region-market.js";
import type { WorkloadCostInput } from "./workload-cost-input.js";

const T0 = Date.UTC(2026, 0, 1);
const MIN = 60_000;

/** A fake clock the tests advance by hand. */
function fakeClock(startMs: number) {
  let now = startMs;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
      return now;
    },
  };
}

function opportunity(workloadId: string, marginUsd: number, targetRegion = "us-east-2"): ArbitrageOpportunity {
  const side = (region: string) => ({
    cloud: "aws",
    region,
    satelliteId: `sat-${region}`,
    cluster: region,
    instanceType: "m5.large",
    instanceUsdPerHour: 0.1,
    instanceVcpus: 2,
    instanceMemoryGib: 8,
    instanceShare: 1,
    costUsdPerHour: 0.1,
    priceObservedAtMs: T0,
    priceAgeSeconds: 0,
    priceSource: "live" as const,
  });
  return {
    workloadId,
    namespace: workloadId.split("/")[0] ?? "",
    name: workloadId.split("/")[1] ?? "",
    replicas: 1,
    source: side("us-east-1"),
    target: side(targetRegion),
    costNowUsdPerHour: 0.1,
    costTargetUsdPerHour: 0.05,
    horizonHours: 24,
    savingsUsd: 1.2,
    stateGb: 1,
    stateGbFrom: "workload",
    egressUsdPerGb: 0.01,
    egressPriceMatch: "default",
    egressPriceSource: "skyplane-aws-transfer-costs",
    egressUsd: 0.01,
    readinessEstimateSeconds: 300,
    overlapUsd: 0,
    marginUsd,
    minMarginUsd: 0,
  };
}

const ON: AutoMigrationOptions = {
  enabled: true,
  sustainSeconds: 1800,
  cooldownSeconds: 6 * 3600,
  maxConcurrentMigrations: 2,
  marginThresholdUsd: 1,
};

describe("auto migration policy", () => {
  it("is off by default: tracks margins but starts nothing", () => {
    const policy = createAutoMigrationPolicy();
    expect(policy.options.enabled).toBe(false);
    const decision = policy.decide(policy.initialState(), [opportunity("a/x", 100)], T0);
    expect(decision.migrationsToStart).toEqual([]);
    expect(decision.held).toEqual([{ workloadId: "a/x", reason: "disabled", untilMs: null }]);
    expect(decision.state.sustained["a/x"]?.sinceMs).toBe(T0);
  });

  it("starts a migration only once the margin has stayed above the threshold for sustainSeconds", () => {
    const policy = createAutoMigrationPolicy(ON);
    const clock = fakeClock(T0);
    let state = policy.initialState();
    for (let minute = 0; minute < 30; minute += 5) {
      const decision = policy.decide(state, [opportunity("a/x", 5)], clock.now());
      expect(decision.migrationsToStart, `minute ${minute}`).toEqual([]);
      expect(decision.held[0]).toEqual({ workloadId: "a/x", reason: "sustaining", untilMs: T0 + 30 * MIN });
      state = decision.state;
      clock.advance(5 * MIN);
    }
    const decision = policy.decide(state, [opportunity("a/x", 5)], clock.now()); // minute 30
    expect(decision.migrationsToStart.map((o) => o.workloadId)).toEqual(["a/x"]);
    expect(decision.state.inFlight["a/x"]).toEqual({ startedAtMs: T0 + 30 * MIN, target: "aws:us-east-2" });
  });

  it("restarts the clock when the margin dips below the threshold or the opportunity disappears", () => {
    const policy = createAutoMigrationPolicy(ON);
    let state = policy.initialState();
    state = policy.decide(state, [opportunity("a/x", 5)], T0).state;
    state = policy.decide(state, [opportunity("a/x", 0.5)], T0 + 20 * MIN).state; // below 1 USD
    expect(state.sustained["a/x"]).toBeUndefined();
    state = policy.decide(state, [opportunity("a/x", 5)], T0 + 25 * MIN).state;
    state = policy.decide(state, [], T0 + 40 * MIN).state; // gone (e.g. stale price)
    state = policy.decide(state, [opportunity("a/x", 5)], T0 + 45 * MIN).state;
    const early = policy.decide(state, [opportunity("a/x", 5)], T0 + 74 * MIN);
    expect(early.migrationsToStart).toEqual([]);
    expect(policy.decide(early.state, [opportunity("a/x", 5)], T0 + 75 * MIN).migrationsToStart).toHaveLength(1);
  });

  it("keeps a moved workload still during its cool-down", () => {
    const policy = createAutoMigrationPolicy({ ...ON, sustainSeconds: 0 });
    let state = policy.initialState();
    const first = policy.decide(state, [opportunity("a/x", 5)], T0);
    expect(first.migrationsToStart).toHaveLength(1);
    // While in flight, the workload is not offered again.
    const during = policy.decide(first.state, [opportunity("a/x", 5, "eu-west-1")], T0 + 2 * MIN);
    expect(during.migrationsToStart).toEqual([]);
    expect(during.held[0]?.reason).toBe("in-flight");
    state = policy.migrationEnded(during.state, "a/x", T0 + 5 * MIN);
    const back = policy.decide(state, [opportunity("a/x", 50, "us-east-1")], T0 + 10 * MIN);
    expect(back.migrationsToStart).toEqual([]);
    expect(back.held[0]).toEqual({ workloadId: "a/x", reason: "cooldown", untilMs: T0 + 5 * MIN + 6 * 3600_000 });
    const after = policy.decide(back.state, [opportunity("a/x", 50, "us-east-1")], T0 + 5 * MIN + 6 * 3600_000);
    expect(after.migrationsToStart).toHaveLength(1);
  });

  it("caps concurrent migrations and starts the best margins first", () => {
    const policy = createAutoMigrationPolicy({ ...ON, sustainSeconds: 0 });
    const offers = [opportunity("a/1", 3), opportunity("a/2", 9), opportunity("a/3", 5), opportunity("a/4", 7)];
    const first = policy.decide(policy.initialState(), offers, T0);
    expect(first.migrationsToStart.map((o) => o.workloadId)).toEqual(["a/2", "a/4"]);
    expect(first.held.filter((h) => h.reason === "concurrency-cap").map((h) => h.workloadId)).toEqual(["a/3", "a/1"]);
    const still = policy.decide(first.state, offers, T0 + MIN);
    expect(still.migrationsToStart).toEqual([]);
    const freed = policy.migrationEnded(still.state, "a/2", T0 + 2 * MIN);
    const next = policy.decide(freed, offers, T0 + 3 * MIN);
    expect(next.migrationsToStart.map((o) => o.workloadId)).toEqual(["a/3"]);
    expect(Object.keys(next.state.inFlight).sort()).toEqual(["a/3", "a/4"]);
  });

  it("holds a move priced by the model or a replay on either side, unless synthetic prices are allowed", () => {
    const priced = (
      source: "live" | "model" | "replay" | "unknown",
      target: "live" | "model" | "replay" | "unknown",
    ) => {
      const base = opportunity(`a/${source}-${target}`, 100);
      return {
        ...base,
        source: { ...base.source, priceSource: source },
        target: { ...base.target, priceSource: target },
      };
    };
    const offers = [
      priced("model", "live"),
      priced("live", "replay"),
      priced("unknown", "live"),
      priced("live", "live"),
    ];
    const strict = createAutoMigrationPolicy({ ...ON, sustainSeconds: 0 });
    expect(strict.options.allowSyntheticPrices).toBe(false);
    const decision = strict.decide(strict.initialState(), offers, T0);
    expect(decision.migrationsToStart.map((o) => o.workloadId)).toEqual(["a/live-live"]);
    expect(decision.held).toEqual([
      { workloadId: "a/model-live", reason: "synthetic-prices", untilMs: null },
      { workloadId: "a/live-replay", reason: "synthetic-prices", untilMs: null },
      { workloadId: "a/unknown-live", reason: "synthetic-prices", untilMs: null },
    ]);
    // Held, its sustain clock still runs: once prices turn live, the time already served counts.
    expect(decision.state.sustained["a/model-live"]?.sinceMs).toBe(T0);

    const demo = createAutoMigrationPolicy({
      ...ON,
      sustainSeconds: 0,
      maxConcurrentMigrations: 4,
      allowSyntheticPrices: true,
    });
    expect(demo.decide(demo.initialState(), offers, T0).migrationsToStart).toHaveLength(4);
  });

  it("does not let flapping prices make a workload flap (fake clock, real finder)", () => {
    // Two regions whose spot prices swap every 10 minutes; the finder sees each swap.
    const workload: WorkloadCostInput = {
      id: "shop/api",
      satelliteId: "sat-us-east-1",
      cluster: "us-east-1",
      namespace: "shop",
      name: "api",
      cloud: "aws",
      region: "us-east-1",
      replicas: 10,
      cpuMillicores: 2000,
      memoryBytes: 8 * BYTES_PER_GIB,
      stateGb: 5,
    };
    const markets = (nowMs: number): RegionMarket[] => {
      const phase = Math.floor((nowMs - T0) / (10 * MIN)) % 2;
      const price = (region: string) => ((region === "us-east-1") === (phase === 0) ? 0.2 : 0.1);
      return ["us-east-1", "us-east-2"].map((region) => ({
        cloud: "aws",
        region,
        satelliteId: `sat-${region}`,
        cluster: region,
        live: true,
        prices: [
          {
            instanceType: "m5.large",
            usdPerHour: price(region),
            vcpus: 2,
            memoryGib: 8,
            observedAtMs: nowMs,
            source: "live" as const,
          },
        ],
      }));
    };
    const simulate = (options: AutoMigrationOptions) => {
      const policy = createAutoMigrationPolicy(options);
      const clock = fakeClock(T0);
      let state: AutoMigrationState = policy.initialState();
      let current = workload;
      let pending: { region: string; doneAtMs: number } | null = null;
      let migrations = 0;
      while (clock.now() < T0 + 24 * 3600_000) {
        const now = clock.now();
        if (pending !== null && now >= pending.doneAtMs) {
          current = {
            ...current,
            region: pending.region,
            satelliteId: `sat-${pending.region}`,
            cluster: pending.region,
          };
          state = policy.migrationEnded(state, current.id, now);
          pending = null;
        }
        const opportunities = findOpportunities([current], markets(now), now, { readinessEstimateSeconds: 120 });
        const decision = policy.decide(state, opportunities, now);
        state = decision.state;
        for (const start of decision.migrationsToStart) {
          migrations++;
          pending = { region: start.target.region, doneAtMs: now + 2 * MIN };
        }
        clock.advance(MIN);
      }
      return migrations;
    };
    // Margin of each swap: 10 × 0.1 USD/h × 24 h − 5 GB × 0.01 − overlap ≈ 23.9 USD: well above 1 USD.
    const flapping = simulate({ ...ON, sustainSeconds: 0, cooldownSeconds: 0 });
    expect(flapping).toBe(144); // one move per swap: a swap every 10 min for 24 h
    expect(simulate(ON)).toBe(0);
    // Cool-down alone already bounds it to one move per 6 h + 10 min.
    expect(simulate({ ...ON, sustainSeconds: 0 })).toBe(4); // at 0:00, 6:10, 12:20, 18:30
  });
});
