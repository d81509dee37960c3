import { create, toBinary } from "@bufbuild/protobuf";
import type { NatsConnection } from "@nats-io/transport-node";
import {
  HealthSummarySchema,
  PriceSnapshotSchema,
  PriceSource,
  SatelliteBindingStatus,
  SatelliteStatus,
  satelliteSubject,
  timestampFromMs,
} from "@sentra/proto";
import { createTestNamespace, eventually, type TestNamespace } from "@sentra/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "./support/cli-process.js";
import { coordinatorClientWithToken } from "./support/coordinator-auth.js";
import { readMetric, startCoordinatorProcess } from "./support/estate-processes.js";

const EU_WEST_1 = { cloud: "aws", name: "eu-west-1", latitude: 53.3, longitude: -6.3 };
const US_EAST_1 = { cloud: "aws", name: "us-east-1", latitude: 38.9, longitude: -77.0 };
type Region = typeof EU_WEST_1;

/** A satellite's messages, published by hand so a test can make it claim anything. */
class ClaimingSatellite {
  private sequence = 0;
  private readonly startedAtMs = Date.now();

  constructor(
    private readonly nats: NatsConnection,
    private readonly prefix: string,
    readonly satelliteId: string,
  ) {}

  heartbeat(region: Region, clusters: readonly string[]): void {
    this.nats.publish(
      satelliteSubject(this.satelliteId, "health", this.prefix),
      toBinary(
        HealthSummarySchema,
        create(HealthSummarySchema, {
          satelliteId: this.satelliteId,
          region,
          sequence: ++this.sequence,
          sentAt: timestampFromMs(Date.now()),
          startedAt: timestampFromMs(this.startedAtMs),
          status: SatelliteStatus.OK,
          heartbeatIntervalMs: 2_000,
          version: "binding-test",
          clusters: clusters.map((cluster) => ({ cluster, reachable: true })),
        }),
      ),
    );
  }

  prices(region: Region, usdPerHour: number): void {
    this.nats.publish(
      satelliteSubject(this.satelliteId, "price", this.prefix),
      toBinary(
        PriceSnapshotSchema,
        create(PriceSnapshotSchema, {
          satelliteId: this.satelliteId,
          region,
          publishedAt: timestampFromMs(Date.now()),
          prices: [
            {
              cloud: region.cloud,
              region: region.name,
              zone: `${region.name}a`,
              instanceType: "m5.large",
              usdPerHour,
              observedAt: timestampFromMs(Date.now()),
              source: PriceSource.MODEL,
              vcpus: 2,
              memoryGib: 8,
            },
          ],
        }),
      ),
    );
  }
}

describe("satellite identity: each satellite id is bound to its cloud, region and clusters", () => {
  let namespace: TestNamespace;
  beforeEach(async () => {
    namespace = await createTestNamespace("binding");
  });
  afterEach(async () => {
    await namespace.dispose();
  });

  it("binds on first use, drops heartbeats and prices claiming another region or cluster, and takes the new claim after an admin's rebind", async () => {
    const coordinator = await startCoordinatorProcess(namespace);
    const client = coordinatorClientWithToken(namespace, coordinator.grpcAddress, coordinator.adminToken);
    const satellite = new ClaimingSatellite(await namespace.nats(), namespace.subjectPrefix, "bound-sat");
    const dropped = (reason: string, kind = "health") =>
      readMetric(coordinator.httpUrl, "sentra_coordinator_nats_messages_dropped_total", { kind, reason });

    satellite.heartbeat(EU_WEST_1, ["prod"]);
    await eventually(async () => {
      const { satellite: seen } = await client.getSatellite({ satelliteId: "bound-sat" });
      expect(seen?.region?.name).toBe("eu-west-1");
    });
    const { bindings } = await client.listSatelliteBindings({});
    expect(bindings).toMatchObject([
      {
        satelliteId: "bound-sat",
        cloud: "aws",
        region: "eu-west-1",
        clusters: ["prod"],
        status: SatelliteBindingStatus.BOUND,
        boundBy: "first-use",
      },
    ]);

    // Another region, then an extra cluster: both dropped, the estate keeps what was bound.
    satellite.heartbeat(US_EAST_1, ["prod"]);
    satellite.heartbeat(EU_WEST_1, ["prod", "someone-elses"]);
    satellite.prices(US_EAST_1, 0.01);
    await eventually(async () => {
      expect(await dropped("identity_mismatch")).toBe(2);
      expect(await dropped("identity_mismatch", "price")).toBe(1);
    });
    expect((await client.getSatellite({ satelliteId: "bound-sat" })).satellite?.region?.name).toBe("eu-west-1");
    expect(coordinator.process.output()).toMatch(/claims another cloud, region or cluster than it is bound to/);
    // A heartbeat within the binding (a cluster fewer is fine) still lands.
    satellite.heartbeat(EU_WEST_1, []);
    satellite.prices(EU_WEST_1, 0.05);
    await eventually(async () => {
      const { regions } = await client.listRegions({});
      expect(regions.find((region) => region.region?.name === "eu-west-1")?.prices.length).toBe(1);
    });
    expect(
      (await client.listRegions({})).regions.find((region) => region.region?.name === "us-east-1"),
    ).toBeUndefined();

    // Rebind (admin): the next heartbeat's claim becomes the binding.
    const rebound = await client.rebindSatellite({ satelliteId: "bound-sat" });
    expect(rebound.binding?.status).toBe(SatelliteBindingStatus.OPEN);
    satellite.heartbeat(US_EAST_1, ["prod", "staging"]);
    await eventually(async () => {
      expect((await client.getSatellite({ satelliteId: "bound-sat" })).satellite?.region?.name).toBe("us-east-1");
    });
    expect((await client.listSatelliteBindings({})).bindings[0]).toMatchObject({
      region: "us-east-1",
      clusters: ["prod", "staging"],
      status: SatelliteBindingStatus.BOUND,
      boundBy: "bootstrap-admin",
    });
    await expect(client.rebindSatellite({ satelliteId: "Not An Id" })).rejects.toMatchObject({
      message: expect.stringContaining("satellite_id"),
    });
    await expect(client.rebindSatellite({ satelliteId: "nobody" })).rejects.toMatchObject({
      message: expect.stringContaining("has no binding"),
    });

    // A restarted coordinator loads the bindings: the old region is refused at once.
    await coordinator.process.stop();
    const restarted = await startCoordinatorProcess(namespace);
    satellite.heartbeat(EU_WEST_1, ["prod"]);
    await eventually(async () =>
      expect(
        await readMetric(restarted.httpUrl, "sentra_coordinator_nats_messages_dropped_total", {
          kind: "health",
          reason: "identity_mismatch",
        }),
      ).toBe(1),
    );
  });

  it("in approval mode a new satellite is ignored until an admin approves what it claimed", async () => {
    const coordinator = await startCoordinatorProcess(namespace, { SENTRA_SATELLITE_ADMISSION: "approval" });
    const client = coordinatorClientWithToken(namespace, coordinator.grpcAddress, coordinator.adminToken);
    const satellite = new ClaimingSatellite(await namespace.nats(), namespace.subjectPrefix, "new-sat");

    satellite.heartbeat(EU_WEST_1, ["prod"]);
    await eventually(async () => {
      const { bindings } = await client.listSatelliteBindings({ status: SatelliteBindingStatus.PENDING });
      expect(bindings.map((binding) => binding.satelliteId)).toEqual(["new-sat"]);
    });
    satellite.heartbeat(EU_WEST_1, ["prod"]);
    await eventually(async () =>
      expect(
        await readMetric(coordinator.httpUrl, "sentra_coordinator_nats_messages_dropped_total", {
          kind: "health",
          reason: "unapproved",
        }),
      ).toBeGreaterThanOrEqual(1),
    );
    expect((await client.listSatellites({})).satellites).toEqual([]);

    // The CLI an admin would use: list what waits, approve it.
    const sentra = (args: string[]) =>
      runCli(["--coordinator", coordinator.grpcAddress, ...args], { SENTRA_TOKEN: coordinator.adminToken });
    const pending = await sentra(["satellite-bindings", "--status", "pending", "--output", "json"]);
    expect(pending.status).toBe(0);
    expect(JSON.parse(pending.stdout)).toMatchObject({
      bindings: [{ satelliteId: "new-sat", region: "eu-west-1", clusters: ["prod"] }],
    });
    expect((await sentra(["satellite-bindings", "--status", "nonsense"])).status).not.toBe(0);
    const approved = await sentra(["approve-satellite", "new-sat"]);
    expect(approved.status).toBe(0);
    expect(approved.stdout).toMatch(/new-sat\s+aws\/eu-west-1\s+prod\s+bound\s+bootstrap-admin/);
    await expect(client.approveSatellite({ satelliteId: "new-sat" })).rejects.toMatchObject({
      message: expect.stringContaining("not pending approval"),
    });
    satellite.heartbeat(EU_WEST_1, ["prod"]);
    await eventually(async () => {
      expect((await client.listSatellites({})).satellites.map((seen) => seen.id)).toEqual(["new-sat"]);
    });
  });
});
