import { create } from "@bufbuild/protobuf";
import {
  Liveness,
  PriceSource,
  SatelliteSchema,
  type SpotPrice,
  SpotPriceSchema,
  timestampFromMs,
  type Workload,
  WorkloadSchema,
} from "@sentra/proto";
import { describe, expect, it } from "vitest";
import { compileArbitrageOptions } from "../arbitrage/arbitrage-options.js";
import { findOpportunities } from "../arbitrage/opportunity-finder.js";
import {
  bestPerWorkload,
  type EstateSnapshot,
  planJson,
  toArbitrageView,
  toCostInput,
  toRegionMarkets,
} from "./arbitrage-estate-adapter.js";
import { MigrationDryRun, TARGET_HAS_NO_DEPLOYMENT } from "./migration-dry-run.js";

const NOW = 1_800_000_000_000;
const GIB = 1024 ** 3;

const satellite = (id: string, cloud: string, region: string, clusters: string[], live = true) =>
  create(SatelliteSchema, {
    id,
    region: { cloud, name: region },
    liveness: live ? Liveness.LIVE : Liveness.STALE,
    clusters: clusters.map((cluster) => ({ cluster, reachable: true })),
    grpcEndpoint: "127.0.0.1:1",
  });

const price = (cloud: string, region: string, instanceType: string, usdPerHour: number, ageMs = 1_000): SpotPrice =>
  create(SpotPriceSchema, {
    cloud,
    region,
    instanceType,
    usdPerHour,
    vcpus: 2,
    memoryGib: 8,
    observedAt: timestampFromMs(NOW - ageMs),
  });

const workload = (
  satelliteId: string,
  cluster: string,
  cloud: string,
  region: string,
  name: string,
  replicas: number,
  annotations: Record<string, string> = {},
): Workload =>
  create(WorkloadSchema, {
    ref: { satelliteId, cluster, namespace: "shop", name },
    desiredReplicas: replicas,
    readyReplicas: replicas,
    cpuMillicores: 500,
    memoryBytes: BigInt(GIB / 2),
    annotations,
    cloud,
    region,
  });

/** us-east-1 at 0.10 USD/h, us-east-2 at 0.02 USD/h (m5.large, 2 vCPU / 8 GiB); checkout runs in both. */
function estate(overrides: Partial<EstateSnapshot> = {}): EstateSnapshot {
  return {
    nowMs: NOW,
    satellites: [
      satellite("use1", "aws", "us-east-1", ["use1-sim"]),
      satellite("use2", "aws", "us-east-2", ["use2-sim"]),
    ],
    prices: [price("aws", "us-east-1", "m5.large", 0.1), price("aws", "us-east-2", "m5.large", 0.02)],
    workloads: [
      workload("use1", "use1-sim", "aws", "us-east-1", "checkout", 3),
      workload("use2", "use2-sim", "aws", "us-east-2", "checkout", 3),
    ],
    ...overrides,
  };
}

const options = compileArbitrageOptions({ priceTtlMs: 30_000 });
const dryRun = new MigrationDryRun({ snapshot: async () => estate() } as never, options);

describe("protobuf estate → arbitrage inputs", () => {
  it("makes one market per satellite cluster, with the region's unexpired prices and the satellite's liveness", () => {
    const markets = toRegionMarkets(
      [satellite("a", "aws", "us-east-1", ["k1", "k2"]), satellite("b", "gcp", "europe-west1", [], false)],
      [price("aws", "us-east-1", "m5.large", 0.1, 5_000)],
    );
    expect(markets.map((m) => [m.satelliteId, m.cluster, m.live, m.prices.length])).toEqual([
      ["a", "k1", true, 1],
      ["a", "k2", true, 1],
      ["b", "", false, 0],
    ]);
    expect(markets[0]?.prices[0]).toEqual({
      instanceType: "m5.large",
      usdPerHour: 0.1,
      vcpus: 2,
      memoryGib: 8,
      observedAtMs: NOW - 5_000,
      source: "unknown",
    });
  });

  it("keeps where each price came from, through the plan and onto the wire", () => {
    const live = { ...price("aws", "us-east-1", "m5.large", 0.1), source: PriceSource.LIVE };
    const model = { ...price("aws", "us-east-2", "m5.large", 0.02), source: PriceSource.MODEL };
    const markets = toRegionMarkets([satellite("use1", "aws", "us-east-1", ["k"])], [live, model]);
    expect(markets[0]?.prices.map((p) => p.source)).toEqual(["live"]);
    const outcome = dryRun.planOn(
      estate({ prices: [live, model] }),
      { satelliteId: "use1", cluster: "", namespace: "shop", name: "checkout" },
      undefined,
    );
    const plan = outcome.message;
    expect([plan.sourcePriceSource, plan.targetPriceSource]).toEqual([PriceSource.LIVE, PriceSource.MODEL]);
    expect(planJson(plan)).toMatchObject({
      sourcePriceSource: "PRICE_SOURCE_LIVE",
      targetPriceSource: "PRICE_SOURCE_MODEL",
    });
  });

  it("reads the sentra.io annotations and narrows targets to regions holding a copy, within what they allow", () => {
    const w = workload("use1", "use1-sim", "aws", "us-east-1", "checkout", 3, {
      "sentra.io/state-gb": "40",
      "sentra.io/allowed-regions": "us-east-2,eu-west-1",
    });
    const copies = [
      { cloud: "aws", region: "us-east-1" },
      { cloud: "aws", region: "us-east-2" },
      { cloud: "aws", region: "us-west-2" },
    ];
    expect(toCostInput(w, copies)).toMatchObject({
      id: "shop/checkout",
      satelliteId: "use1",
      cluster: "use1-sim",
      replicas: 3,
      cpuMillicores: 500,
      memoryBytes: GIB / 2,
      stateGb: 40,
      allowedRegions: ["aws:us-east-2"],
    });
    expect(toCostInput(w).allowedRegions).toEqual(["us-east-2", "eu-west-1"]);
  });

  it("sets a workload with a bad annotation aside, naming the annotation", () => {
    const view = toArbitrageView(
      estate({
        workloads: [
          workload("use1", "use1-sim", "aws", "us-east-1", "checkout", 3, { "sentra.io/state-gb": "40GB" }),
          workload("use2", "use2-sim", "aws", "us-east-2", "checkout", 3),
        ],
      }),
    );
    expect(view.workloads.map((w) => w.satelliteId)).toEqual(["use2"]);
    expect(view.rejected).toHaveLength(1);
    expect(view.rejected[0]?.error).toMatchObject({ code: "INVALID_ARGUMENT", field: "sentra.io/state-gb" });
  });

  it("keeps the best move per workload id when several copies have one", () => {
    const snapshot = estate({
      satellites: [...estate().satellites, satellite("usw2", "aws", "us-west-2", ["usw2-sim"])],
      prices: [...estate().prices, price("aws", "us-west-2", "m5.large", 0.06)],
      workloads: [...estate().workloads, workload("usw2", "usw2-sim", "aws", "us-west-2", "checkout", 3)],
    });
    const view = toArbitrageView(snapshot);
    const ranked = findOpportunities(view.workloads, view.markets, NOW, options);
    expect(ranked.map((o) => o.source.satelliteId)).toEqual(["use1", "usw2"]);
    expect(bestPerWorkload(ranked).map((o) => [o.source.satelliteId, o.target.satelliteId])).toEqual([
      ["use1", "use2"],
    ]);
  });
});

describe("dry run over a snapshot", () => {
  it("accepts a move that pays, with the exact margin of the formula", () => {
    const outcome = dryRun.planOn(
      estate(),
      { satelliteId: "use1", cluster: "", namespace: "shop", name: "checkout" },
      undefined,
    );
    // cost = 3 replicas × max(0.5/2 vCPU, 0.5/8 GiB) × price; egress us-east-1 → us-east-2 = 0.01 USD/GB × 10 GB (default).
    const now = 3 * 0.25 * 0.1;
    const target = 3 * 0.25 * 0.02;
    expect(outcome.accepted).toBe(true);
    expect(outcome.source.cluster).toBe("use1-sim");
    expect(outcome.message.marginUsd).toBeCloseTo((now - target) * 24 - 10 * 0.01 - ((now + target) * 300) / 3600, 12);
    expect(outcome.message).toMatchObject({ targetSatelliteId: "use2", targetCluster: "use2-sim", priced: true });
  });

  it("refuses a negative margin with FAILED_PRECONDITION whose details are the plan with every number", () => {
    const outcome = dryRun.planOn(
      estate(),
      { satelliteId: "use2", cluster: "use2-sim", namespace: "shop", name: "checkout" },
      "us-east-1",
    );
    expect(outcome.accepted).toBe(false);
    expect(outcome.refusal).toMatchObject({ code: "FAILED_PRECONDITION", httpStatus: 412 });
    const details = outcome.refusal?.details as Record<string, unknown>;
    expect(details).toMatchObject({ accepted: false, refusalCode: "MARGIN_NOT_POSITIVE", priced: true });
    expect(details.marginUsd).toBeLessThan(0);
    expect(details.egressUsd).toBeCloseTo(0.1, 12);
    expect(details.sourcePriceUsdPerHour).toBe(0.02);
    expect(details.targetPriceUsdPerHour).toBe(0.1);
    expect(typeof details.targetPriceAgeSeconds).toBe("number");
    expect(outcome.refusal?.message).toMatch(/would not pay/);
  });

  it("refuses a region without a copy of the Deployment, with the numbers", () => {
    const snapshot = estate({ workloads: [workload("use1", "use1-sim", "aws", "us-east-1", "checkout", 3)] });
    const outcome = dryRun.planOn(
      snapshot,
      { satelliteId: "use1", cluster: "", namespace: "shop", name: "checkout" },
      "us-east-2",
    );
    expect(outcome.refusalCode).toBe(TARGET_HAS_NO_DEPLOYMENT);
    expect(outcome.refusal).toMatchObject({ code: "FAILED_PRECONDITION" });
    expect(outcome.refusal?.message).toMatch(/has no Deployment in cluster use2-sim/);
    expect(outcome.refusal?.details?.marginUsd).toBeGreaterThan(0);
    const best = dryRun.planOn(
      snapshot,
      { satelliteId: "use1", cluster: "", namespace: "shop", name: "checkout" },
      undefined,
    );
    expect(best.refusal?.message).toMatch(/no other region has a Deployment shop\/checkout/);
  });

  it("never prices with a stale target price (priced = false, no numbers in the JSON)", () => {
    const snapshot = estate({
      prices: [price("aws", "us-east-1", "m5.large", 0.1), price("aws", "us-east-2", "m5.large", 0.02, 31_000)],
    });
    const outcome = dryRun.planOn(
      snapshot,
      { satelliteId: "use1", cluster: "", namespace: "shop", name: "checkout" },
      "us-east-2",
    );
    expect(outcome.refusalCode).toBe("TARGET_PRICE_STALE");
    expect(outcome.message.priced).toBe(false);
    const json = planJson(outcome.message);
    expect(json.marginUsd).toBeUndefined();
    expect(json.refusalReason).toMatch(/31 s old, older than the 30 s TTL/);
  });

  it("names the field for an unknown satellite, an unknown workload and an ambiguous cluster", () => {
    const locate =
      (satelliteId: string, name = "checkout") =>
      () =>
        dryRun.planOn(estate(), { satelliteId, cluster: "", namespace: "shop", name }, undefined);
    expect(locate("nope")).toThrow(expect.objectContaining({ code: "NOT_FOUND", field: "workload.satellite_id" }));
    expect(locate("use1", "cart")).toThrow(expect.objectContaining({ code: "NOT_FOUND", field: "workload.name" }));
    const twoClusters = estate({
      workloads: [...estate().workloads, workload("use1", "use1-sim-2", "aws", "us-east-1", "checkout", 1)],
    });
    expect(() =>
      dryRun.planOn(twoClusters, { satelliteId: "use1", cluster: "", namespace: "shop", name: "checkout" }, undefined),
    ).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT", field: "workload.cluster" }));
  });

  it("shows a zero egress as a number in the JSON of a priced plan", () => {
    const snapshot = estate({ workloads: [...estate().workloads] });
    const outcome = dryRun.planOn(
      snapshot,
      { satelliteId: "use1", cluster: "", namespace: "shop", name: "checkout" },
      undefined,
    );
    const json = planJson({ ...outcome.message, stateGb: 0, egressUsd: 0 });
    expect(json.egressUsd).toBe(0);
    expect(json.stateGb).toBe(0);
  });

  it("never plans a move of kube-system or of Sentra itself, even a manual one that would pay (FAILED_PRECONDITION)", () => {
    const system = (namespace: string, labels: Record<string, string> = {}) => {
      const copy = (sat: string, cluster: string, region: string) => {
        const w = workload(sat, cluster, "aws", region, "coredns", 3);
        return create(WorkloadSchema, { ...w, ref: { ...w.ref, namespace } as never, labels });
      };
      return [copy("use1", "use1-sim", "us-east-1"), copy("use2", "use2-sim", "us-east-2")];
    };
    const cases: [Workload[], RegExp][] = [
      [system("kube-system"), /namespace kube-system belongs to Kubernetes/],
      [system("kube-node-lease"), /namespace kube-node-lease/],
      [system("ops", { "app.kubernetes.io/part-of": "sentra" }), /part of Sentra/],
      [system("ops", { "sentra.io/satellite": "use1" }), /Sentra satellite/],
      [system("ops", { "app.kubernetes.io/name": "sentra-coordinator" }), /sentra-coordinator/],
    ];
    for (const [workloads, reason] of cases) {
      const namespace = workloads[0]?.ref?.namespace ?? "";
      const snapshot = estate({ workloads });
      const locator = { satelliteId: "use1", cluster: "", namespace, name: "coredns" };
      for (const target of [undefined, "us-east-2"]) {
        const outcome = dryRun.planOn(snapshot, locator, target);
        expect(outcome.accepted).toBe(false);
        expect(outcome.refusalCode).toBe("PROTECTED");
        expect(outcome.refusal?.code).toBe("FAILED_PRECONDITION");
        expect(outcome.refusal?.message).toMatch(reason);
      }
      // Nor does it show up as an opportunity.
      const view = toArbitrageView(snapshot);
      expect(findOpportunities(view.workloads, view.markets, NOW, options)).toEqual([]);
    }
    // The same Deployment in an ordinary namespace moves (the margin is there).
    const plain = estate({ workloads: system("ops") });
    expect(
      dryRun.planOn(plain, { satelliteId: "use1", cluster: "", namespace: "ops", name: "coredns" }, undefined).accepted,
    ).toBe(true);
  });
});
