import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createTestNamespace, eventually, sharedDataDir, type TestNamespace } from "@sentra/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  connectToSatellite,
  readMetric,
  startCoordinatorProcess,
  startSatelliteProcess,
  TEST_HEARTBEAT_INTERVAL_MS,
  TEST_PRICE_TTL_MS,
} from "./support/estate-processes.js";
import { createProtoLoaderCoordinatorClient } from "./support/proto-loader-client.js";

interface SatelliteView {
  id: string;
  liveness: string;
  region: { cloud: string; name: string; latitude: number; longitude: number };
}
interface RegionView {
  region: { name: string };
  satelliteIds: string[];
  prices: Array<{ instanceType: string; usdPerHour: number }>;
  stale: boolean;
}

describe("live estate over real NATS, Redis and MariaDB", () => {
  let namespace: TestNamespace;
  beforeEach(async () => {
    namespace = await createTestNamespace("estate");
  });
  afterEach(async () => {
    await namespace.dispose();
  });

  it("shows two satellites live with their regions and prices to a client built from the .proto files within 5 s", async () => {
    const coordinator = await startCoordinatorProcess(namespace);
    await Promise.all([
      startSatelliteProcess(namespace, "aws", "us-east-1"),
      startSatelliteProcess(namespace, "gcp", "europe-west1"),
    ]);
    const startedAt = Date.now();
    const regionsFile = JSON.parse(readFileSync(join(sharedDataDir(), "regions.json"), "utf8")) as {
      regions: Array<{ cloud: string; region: string; lat: number; lon: number }>;
    };
    const awsUsEast1 = regionsFile.regions.find((r) => r.cloud === "aws" && r.region === "us-east-1") ?? {
      lat: NaN,
      lon: NaN,
    };
    const client = createProtoLoaderCoordinatorClient(coordinator.grpcAddress, coordinator.adminToken);
    namespace.defer(() => client.close());

    await eventually(async () => {
      const { satellites } = await client.call<{ satellites: SatelliteView[] }>("ListSatellites", {});
      expect(satellites.map((s) => [s.id, s.liveness])).toEqual([
        ["aws-us-east-1", "LIVENESS_LIVE"],
        ["gcp-europe-west1", "LIVENESS_LIVE"],
      ]);
      const aws = satellites.find((s) => s.id === "aws-us-east-1");
      expect(aws?.region.cloud).toBe("aws");
      // Real coordinates: the shared public region data is the reference.
      expect(aws?.region.latitude).toBeCloseTo(awsUsEast1.lat, 3);
      expect(aws?.region.longitude).toBeCloseTo(awsUsEast1.lon, 3);
      const { regions } = await client.call<{ regions: RegionView[] }>("ListRegions", {});
      expect(regions.map((r) => r.region.name).sort()).toEqual(["europe-west1", "us-east-1"]);
      for (const region of regions) {
        expect(region.stale).toBe(false);
        expect(region.prices.length).toBeGreaterThan(0);
        for (const price of region.prices) expect(price.usdPerHour).toBeGreaterThan(0);
      }
    }, 5_000);
    expect(Date.now() - startedAt).toBeLessThan(5_000);

    const { workloads } = await client.call<{
      workloads: Array<{ ref: { satelliteId: string }; cpuMillicores: number }>;
    }>("ListWorkloads", {});
    expect(new Set(workloads.map((w) => w.ref.satelliteId))).toEqual(new Set(["aws-us-east-1", "gcp-europe-west1"]));
    expect(workloads.every((w) => w.cpuMillicores > 0)).toBe(true);
  });

  it("marks a stopped satellite stale within 3 heartbeat intervals and lets its prices expire", async () => {
    const coordinator = await startCoordinatorProcess(namespace);
    const [stopping] = await Promise.all([
      startSatelliteProcess(namespace, "aws", "eu-west-1"),
      startSatelliteProcess(namespace, "aws", "eu-central-1"),
    ]);
    const client = createProtoLoaderCoordinatorClient(coordinator.grpcAddress, coordinator.adminToken);
    namespace.defer(() => client.close());
    await eventually(async () => {
      const { regions } = await client.call<{ regions: RegionView[] }>("ListRegions", {});
      expect(regions.filter((r) => !r.stale && r.prices.length > 0)).toHaveLength(2);
    }, 5_000);

    await stopping.process.kill();
    const stoppedAt = Date.now();
    await eventually(
      async () => {
        const { satellites } = await client.call<{ satellites: SatelliteView[] }>("ListSatellites", {});
        expect(satellites.find((s) => s.id === "aws-eu-west-1")?.liveness).toBe("LIVENESS_STALE");
      },
      6 * TEST_HEARTBEAT_INTERVAL_MS,
      50,
    );
    // The last heartbeat may have left just before the kill: allow 3 intervals plus one check tick.
    expect(Date.now() - stoppedAt).toBeLessThanOrEqual(4 * TEST_HEARTBEAT_INTERVAL_MS + 250);
    const { satellites } = await client.call<{ satellites: SatelliteView[] }>("ListSatellites", {});
    expect(satellites.find((s) => s.id === "aws-eu-central-1")?.liveness).toBe("LIVENESS_LIVE");

    // Stale regions show no prices at once; the Redis keys themselves expire after the TTL.
    const { regions } = await client.call<{ regions: RegionView[] }>("ListRegions", {});
    const staleRegion = regions.find((r) => r.region.name === "eu-west-1");
    expect(staleRegion?.stale).toBe(true);
    expect(staleRegion?.prices).toEqual([]);
    await eventually(async () => {
      const keys = await namespace.redis().keys(`${namespace.redisKeyPrefix}price:aws:eu-west-1:*`);
      expect(keys).toEqual([]);
    }, TEST_PRICE_TTL_MS + 2_000);
    const liveKeys = await namespace.redis().keys(`${namespace.redisKeyPrefix}price:aws:eu-central-1:*`);
    expect(liveKeys.length).toBeGreaterThan(0);
  });

  it("counts and drops garbage on satellite subjects and keeps serving", async () => {
    const coordinator = await startCoordinatorProcess(namespace, { SENTRA_MAX_MESSAGE_BYTES: "4096" });
    await startSatelliteProcess(namespace, "aws", "us-west-2");
    const client = createProtoLoaderCoordinatorClient(coordinator.grpcAddress, coordinator.adminToken);
    namespace.defer(() => client.close());
    await eventually(async () => {
      const { satellites } = await client.call<{ satellites: SatelliteView[] }>("ListSatellites", {});
      expect(satellites).toHaveLength(1);
    });
    const before = await readMetric(coordinator.httpUrl, "sentra_coordinator_nats_messages_dropped_total");

    const nats = await namespace.nats();
    const garbage = [
      new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f]),
      new TextEncoder().encode('{"not":"protobuf"}'),
      new Uint8Array(0),
      new Uint8Array(10_000).fill(8),
    ];
    for (const payload of garbage) {
      nats.publish(`${namespace.subjectPrefix}.sentra.v1.sat.aws-us-west-2.health`, payload);
      nats.publish(`${namespace.subjectPrefix}.sentra.v1.sat.intruder.price`, payload);
    }
    await nats.flush();

    await eventually(async () => {
      const after = await readMetric(coordinator.httpUrl, "sentra_coordinator_nats_messages_dropped_total");
      expect(after - before).toBe(garbage.length * 2);
    });
    const health = await fetch(`${coordinator.httpUrl}/healthz`);
    expect(health.status).toBe(200);
    const { satellites } = await client.call<{ satellites: SatelliteView[] }>("ListSatellites", {});
    expect(satellites.map((s) => [s.id, s.liveness])).toEqual([["aws-us-west-2", "LIVENESS_LIVE"]]);
  });

  it("pulls a satellite's workload inventory only when its heartbeat's inventory revision changes", async () => {
    const coordinator = await startCoordinatorProcess(namespace);
    const satellite = await startSatelliteProcess(namespace, "aws", "us-east-2");
    const client = createProtoLoaderCoordinatorClient(coordinator.grpcAddress, coordinator.adminToken);
    namespace.defer(() => client.close());
    type WorkloadView = {
      ref: { satelliteId: string; cluster: string; namespace: string; name: string };
      desiredReplicas: number;
    };
    const listWorkloads = async (): Promise<WorkloadView[]> =>
      (await client.call<{ workloads: WorkloadView[] }>("ListWorkloads", {})).workloads;
    const pulls = (outcome: string) =>
      readMetric(coordinator.httpUrl, "sentra_coordinator_inventory_pulls_total", { outcome });
    await eventually(async () => expect((await listWorkloads()).length).toBeGreaterThan(0), 10_000);
    // Settled: several inventory intervals (1 s here) in which the coordinator checks and does not call.
    await eventually(
      async () => {
        const pulledBefore = await pulls("pulled");
        const unchangedBefore = await pulls("unchanged");
        await new Promise((resolve) => setTimeout(resolve, 3_500));
        expect(await pulls("unchanged")).toBeGreaterThanOrEqual(unchangedBefore + 3);
        expect(await pulls("pulled")).toBe(pulledBefore);
      },
      30_000,
      0,
    );
    // A change on the satellite moves its revision: the next check pulls, and the estate shows it.
    const [workload] = await listWorkloads();
    if (!workload) throw new Error("no workload");
    const pulledBefore = await pulls("pulled");
    const satelliteClient = await connectToSatellite(namespace, satellite);
    await satelliteClient.scaleWorkload({
      workload: workload.ref,
      replicas: workload.desiredReplicas + 2,
      idempotencyKey: "inventory-revision-test",
    });
    await eventually(async () => {
      const after = (await listWorkloads()).find((w) => w.ref.name === workload.ref.name);
      expect(after?.desiredReplicas).toBe(workload.desiredReplicas + 2);
    }, 10_000);
    expect(await pulls("pulled")).toBeGreaterThan(pulledBefore);
  });
});
