import { create } from "@bufbuild/protobuf";
import { HealthSummarySchema, Liveness, msOf, type Satellite, SatelliteSchema, timestampFromMs } from "@sentra/proto";
import { describe, expect, it } from "vitest";
import { LiveEstate, LiveEstateIndex } from "./live-estate-index.js";

const region = { cloud: "aws", name: "eu-west-1", latitude: 53.3, longitude: -6.3 };
const beat = (satelliteId: string, sequence: number, clusters: { cluster: string; readyReplicas: number }[] = []) =>
  create(HealthSummarySchema, {
    satelliteId,
    region,
    sequence,
    heartbeatIntervalMs: 2_000,
    grpcEndpoint: "10.0.0.1:7443",
    version: "1.0.0",
    clusters: clusters.map((cluster) => ({ ...cluster, reachable: true })),
  });
const record = (id: string, lastSeenMs: number) =>
  create(SatelliteSchema, { id, region, heartbeatIntervalMs: 2_000, lastSeenAt: timestampFromMs(lastSeenMs) });

describe("LiveEstateIndex", () => {
  it("serves each satellite's latest heartbeat with liveness judged at the snapshot's instant", () => {
    const index = new LiveEstateIndex();
    index.heartbeat(beat("a", 1, [{ cluster: "prod", readyReplicas: 1 }]), 1_000);
    index.heartbeat(beat("a", 2, [{ cluster: "prod", readyReplicas: 3 }]), 3_000);
    // A relayed heartbeat older than what this replica applied does not win.
    index.heartbeat(beat("a", 1, [{ cluster: "prod", readyReplicas: 1 }]), 2_000);
    index.heartbeat(beat("b", 1), 3_000);
    const [a, b] = index.snapshot(4_000);
    expect(a).toMatchObject({ id: "a", liveness: Liveness.LIVE, grpcEndpoint: "10.0.0.1:7443", version: "1.0.0" });
    expect(a?.clusters.map((cluster) => [cluster.cluster, cluster.readyReplicas])).toEqual([["prod", 3]]);
    expect(msOf(a?.lastSeenAt)).toBe(3_000);
    expect(b?.region?.name).toBe("eu-west-1");
    // Three missed 2 s heartbeats: stale.
    expect(index.snapshot(9_001).map((satellite) => satellite.liveness)).toEqual([Liveness.STALE, Liveness.STALE]);
    index.forget("b");
    expect(index.snapshot(4_000).map((satellite) => satellite.id)).toEqual(["a"]);
  });

  it("reconciles with Redis: adds what it missed, takes newer records, drops what Redis forgot", () => {
    const index = new LiveEstateIndex();
    index.heartbeat(beat("kept", 5), 5_000);
    index.heartbeat(beat("forgotten", 1), 1_000);
    index.heartbeat(beat("heard-after-the-read", 1), 7_000);
    index.reconcile([record("kept", 4_000), record("missed", 6_000)], 6_500);
    const byId = new Map(index.snapshot(7_000).map((satellite) => [satellite.id, satellite] as const));
    expect([...byId.keys()].sort()).toEqual(["heard-after-the-read", "kept", "missed"]);
    expect(msOf(byId.get("kept")?.lastSeenAt)).toBe(5_000);
    expect(msOf(byId.get("missed")?.lastSeenAt)).toBe(6_000);
    index.reconcile([record("kept", 8_000)], 9_000);
    expect(index.snapshot(9_000).map((satellite) => [satellite.id, msOf(satellite.lastSeenAt)])).toEqual([
      ["kept", 8_000],
    ]);
  });
});

describe("LiveEstate", () => {
  it("reads Redis first and once per reconcile period, the index in between", async () => {
    let clock = 0;
    const reads: number[] = [];
    let inRedis: Satellite[] = [record("from-redis", 1_000)];
    const live = new LiveEstate(
      new LiveEstateIndex(),
      async (nowMs) => {
        reads.push(nowMs);
        return inRedis;
      },
      60_000,
      () => clock,
    );
    expect((await live.satellites(2_000)).map((satellite) => satellite.id)).toEqual(["from-redis"]);
    live.index.heartbeat(beat("heard", 1), 2_500);
    clock = 30_000;
    expect((await live.satellites(3_000)).map((satellite) => satellite.id).sort()).toEqual(["from-redis", "heard"]);
    expect((await live.liveSatellites(7_500)).map((satellite) => satellite.id)).toEqual(["heard"]);
    expect(reads).toEqual([2_000]);
    inRedis = [];
    clock = 61_000;
    // Redis forgot both (retention) and the read began after their last heartbeats.
    expect(await live.satellites(70_000)).toEqual([]);
    expect(reads).toEqual([2_000, 70_000]);
    expect(live.index.size()).toBe(0);
  });
});
