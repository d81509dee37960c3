import { create } from "@bufbuild/protobuf";
import {
  HealthSummarySchema,
  Liveness,
  PriceSnapshotSchema,
  SatelliteSchema,
  SpotPriceSchema,
  timestampFromMs,
  WorkloadSchema,
} from "@sentra/proto";
import { describe, expect, it } from "vitest";
import { EstateMirror } from "./estate-mirror.js";

const region = { cloud: "gcp", name: "europe-west1", latitude: 50.45, longitude: 3.82 };
const health = (satelliteId: string, sequence: number) =>
  create(HealthSummarySchema, { satelliteId, region, sequence, heartbeatIntervalMs: 2_000 });
const priceSnapshot = (usdPerHour: number) =>
  create(PriceSnapshotSchema, {
    satelliteId: "gcp-europe-west1",
    region,
    prices: [{ cloud: "gcp", region: "europe-west1", instanceType: "n2-standard-2", usdPerHour, vcpus: 2 }],
  });
const workload = (name: string, readyReplicas: number) =>
  create(WorkloadSchema, {
    ref: { satelliteId: "gcp-europe-west1", cluster: "sim", namespace: "shop", name },
    desiredReplicas: 3,
    readyReplicas,
    cpuMillicores: 250,
    memoryBytes: 268_435_456n,
    region: "europe-west1",
    cloud: "gcp",
  });

describe("the dashboard's estate mirror", () => {
  it("keeps a bounded price history and hands out only the points added since the last take", () => {
    const mirror = new EstateMirror(3);
    for (let i = 1; i <= 5; i++) mirror.priceSnapshot(priceSnapshot(0.01 * i), i * 1_000);
    const [series] = mirror.snapshot().prices;
    expect(series?.points).toEqual([
      [3_000, 0.03],
      [4_000, 0.04],
      [5_000, 0.05],
    ]);
    expect(mirror.takeChanges()?.prices?.upsert?.[0]?.points).toHaveLength(3);
    mirror.priceSnapshot(priceSnapshot(0.07), 6_000);
    expect(mirror.takeChanges()?.prices?.upsert?.[0]).toMatchObject({ usdPerHour: 0.07, points: [[6_000, 0.07]] });
    expect(mirror.takeChanges()).toBeUndefined();
  });

  it("replaces a satellite's inventory: changed workloads are upserted, vanished ones removed", () => {
    const mirror = new EstateMirror(10);
    mirror.workloadInventory("gcp-europe-west1", [workload("cart", 3), workload("search", 3)]);
    expect(mirror.takeChanges()?.workloads?.upsert?.map((view) => view.name)).toEqual(["cart", "search"]);

    // Unchanged: no delta at all.
    mirror.workloadInventory("gcp-europe-west1", [workload("cart", 3), workload("search", 3)]);
    expect(mirror.takeChanges()).toBeUndefined();

    mirror.workloadInventory("gcp-europe-west1", [workload("cart", 1)]);
    expect(mirror.takeChanges()?.workloads).toEqual({
      upsert: [expect.objectContaining({ name: "cart", readyReplicas: 1, memoryBytes: 268_435_456 })],
      remove: ["gcp-europe-west1/sim/shop/search"],
    });
    expect(mirror.snapshot().workloads.map((view) => view.key)).toEqual(["gcp-europe-west1/sim/shop/cart"]);
  });

  it("judges a satellite live on each heartbeat and stale only when the liveness monitor says so", () => {
    const mirror = new EstateMirror(10);
    mirror.heartbeat(health("gcp-europe-west1", 7), 1_000);
    mirror.liveness("gcp-europe-west1", "stale");
    expect(mirror.takeChanges()?.satellites?.upsert).toEqual([
      expect.objectContaining({ liveness: "stale", heartbeatSequence: 7 }),
    ]);
    mirror.liveness("gcp-europe-west1", "stale");
    mirror.liveness("unknown-satellite", "live");
    expect(mirror.takeChanges()).toBeUndefined();
    mirror.heartbeat(health("gcp-europe-west1", 8), 2_000);
    expect(mirror.takeChanges()?.satellites?.upsert?.[0]?.liveness).toBe("live");
  });

  it("brings a satellite's view up to date on each heartbeat, whether its clusters and region stay or change", () => {
    const mirror = new EstateMirror(10);
    const beat = (
      sequence: number,
      clusters: { cluster: string; readyReplicas: number; error?: string }[],
      city = "",
    ) =>
      create(HealthSummarySchema, {
        satelliteId: "gcp-europe-west1",
        region: { ...region, city },
        sequence,
        heartbeatIntervalMs: 2_000,
        version: `v${sequence}`,
        clusters: clusters.map((cluster) => ({ ...cluster, reachable: cluster.error === undefined })),
      });
    mirror.heartbeat(beat(1, [{ cluster: "a", readyReplicas: 1 }]), 1_000);
    mirror.takeChanges();
    mirror.heartbeat(beat(2, [{ cluster: "a", readyReplicas: 3, error: "timeout" }]), 2_000);
    expect(mirror.takeChanges()?.satellites?.upsert).toEqual([
      expect.objectContaining({
        heartbeatSequence: 2,
        lastSeenAtMs: 2_000,
        version: "v2",
        clusters: [expect.objectContaining({ name: "a", readyReplicas: 3, reachable: false, error: "timeout" })],
      }),
    ]);
    // A cluster more, renamed clusters and a moved region each give the satellite a whole new view.
    mirror.heartbeat(
      beat(3, [
        { cluster: "a", readyReplicas: 3 },
        { cluster: "b", readyReplicas: 2 },
      ]),
      3_000,
    );
    expect(mirror.snapshot().satellites[0]?.clusters.map((cluster) => cluster.name)).toEqual(["a", "b"]);
    mirror.heartbeat(
      beat(4, [
        { cluster: "c", readyReplicas: 1 },
        { cluster: "b", readyReplicas: 2 },
      ]),
      4_000,
    );
    expect(mirror.snapshot().satellites[0]?.clusters.map((cluster) => cluster.name)).toEqual(["c", "b"]);
    mirror.heartbeat(
      beat(
        5,
        [
          { cluster: "c", readyReplicas: 1 },
          { cluster: "b", readyReplicas: 2 },
        ],
        "Brussels",
      ),
      5_000,
    );
    expect(mirror.snapshot().satellites[0]).toMatchObject({ heartbeatSequence: 5, region: { city: "Brussels" } });
    // After a stale verdict the next heartbeat makes it live again.
    mirror.liveness("gcp-europe-west1", "stale");
    mirror.heartbeat(
      beat(
        6,
        [
          { cluster: "c", readyReplicas: 0 },
          { cluster: "b", readyReplicas: 2 },
        ],
        "Brussels",
      ),
      6_000,
    );
    expect(mirror.snapshot().satellites[0]).toMatchObject({
      liveness: "live",
      heartbeatSequence: 6,
      clusters: [{ name: "c", readyReplicas: 0 }, { name: "b" }],
    });
  });

  it("seeds from the estate store without overwriting what events already brought", () => {
    const mirror = new EstateMirror(10);
    mirror.heartbeat(health("gcp-europe-west1", 9), 5_000);
    mirror.seed({
      satellites: [
        create(SatelliteSchema, { id: "gcp-europe-west1", region, liveness: Liveness.STALE }),
        create(SatelliteSchema, {
          id: "aws-us-east-1",
          region: { cloud: "aws", name: "us-east-1" },
          liveness: Liveness.STALE,
          lastSeenAt: timestampFromMs(4_000),
        }),
      ],
      prices: [
        create(SpotPriceSchema, { cloud: "aws", region: "us-east-1", instanceType: "m5.large", usdPerHour: 0.04 }),
      ],
      workloads: [workload("cart", 3)],
      nowMs: 6_000,
    });
    const snapshot = mirror.snapshot();
    expect(snapshot.satellites.map((view) => [view.id, view.liveness, view.lastSeenAtMs])).toEqual([
      ["gcp-europe-west1", "live", 5_000],
      ["aws-us-east-1", "stale", 4_000],
    ]);
    expect(snapshot.prices[0]).toMatchObject({ key: "aws:us-east-1:m5.large", points: [[6_000, 0.04]] });
    expect(snapshot.workloads).toHaveLength(1);
  });
});
