import { MigrationState, PriceSource } from "@sentra/proto";
import { createTestNamespace, eventually, type TestNamespace } from "@sentra/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readMetric, startCoordinatorProcess } from "./support/estate-processes.js";
import { startFakeEc2 } from "./support/fake-ec2-spot-prices.js";
import {
  coordinatorClient,
  type SimulatedSatellite,
  startPricedSatellite,
  waitForEstate,
} from "./support/migration-estate.js";

/**
 * End-to-end: automatic migration acts on live prices only. Real coordinator and satellite
 * processes (simulated clusters) over real NATS, Redis and MariaDB; the live satellites read
 * EC2 DescribeSpotPriceHistory from a local server answering in EC2's XML shape
 * (SENTRA_PRICE_SOURCE=aws, SENTRA_AWS_EC2_ENDPOINT), the other one prices with the model.
 */
const PROCESS_TEST_TIMEOUT_MS = 120_000;
const EXPENSIVE = { "m5.large": 0.1, "c5.large": 0.1 };
const CHEAP = { "m5.large": 0.02, "c5.large": 0.03 };

/** Environment of a simulated satellite whose prices come from the (fake) EC2 API. */
function liveAwsEnv(endpoint: string): Record<string, string> {
  return {
    SENTRA_PRICE_SOURCE: "aws",
    SENTRA_AWS_EC2_ENDPOINT: endpoint,
    SENTRA_PRICE_REFRESH_INTERVAL_MS: "60000",
    // The SDK's default credential chain reads these; the fake endpoint only checks the signature's shape.
    AWS_ACCESS_KEY_ID: "AKIDE2ETESTONLY",
    AWS_SECRET_ACCESS_KEY: "e2e-test-only-secret",
    SENTRA_SIM_READINESS_DELAY_MS: "300",
  };
}

describe("automatic migration and where prices come from", () => {
  let namespace: TestNamespace;
  beforeAll(async () => {
    namespace = await createTestNamespace("liveprice");
  });
  afterAll(async () => {
    await namespace?.dispose();
  });

  it(
    "refuses to move on a model-priced target (visible in the metric and the log), then moves once both prices are live",
    async () => {
      const coordinator = await startCoordinatorProcess(namespace, {
        SENTRA_ARBITRAGE_INTERVAL_MS: "200",
        SENTRA_AUTO_MIGRATE: "true",
        // The seeded workloads live in namespace default: opt it in to automatic mode.
        SENTRA_AUTO_MIGRATE_NAMESPACES: "default",
        SENTRA_AUTO_MARGIN_THRESHOLD_USD: "1",
        SENTRA_AUTO_SUSTAIN_S: "1",
        SENTRA_AUTO_COOLDOWN_S: "600",
        SENTRA_AUTO_MAX_CONCURRENT: "1",
        SENTRA_MIGRATION_POLL_INTERVAL_MS: "100",
      });
      const client = coordinatorClient(namespace, coordinator.grpcAddress, coordinator.adminToken);
      const ec2East1 = await startFakeEc2(namespace, "us-east-1", EXPENSIVE);
      const ec2East2 = await startFakeEc2(namespace, "us-east-2", CHEAP);
      const east1 = await startPricedSatellite(
        namespace,
        "us-east-1",
        { m5: 0, c5: 0 },
        {
          ...liveAwsEnv(ec2East1.url),
          SENTRA_PRICE_OVERRIDES: "",
        },
      );
      // us-east-2 first runs the seeded model with the same prices: cheaper, but synthetic.
      const modelEast2 = await startPricedSatellite(
        namespace,
        "us-east-2",
        { m5: 0.02, c5: 0.03 },
        {
          SENTRA_PRICE_SOURCE: "model",
          SENTRA_SIM_READINESS_DELAY_MS: "300",
        },
      );
      await waitForEstate(client, [east1, modelEast2]);

      const refused = await eventually(async () => {
        const { opportunities } = await client.listOpportunities({});
        const search = opportunities.find((o) => o.workload?.name === "search-indexer");
        expect(search).toBeDefined();
        expect([search?.sourcePriceSource, search?.targetPriceSource]).toEqual([PriceSource.LIVE, PriceSource.MODEL]);
        expect(
          await readMetric(coordinator.httpUrl, "sentra_coordinator_auto_migration_held", {
            reason: "synthetic-prices",
          }),
        ).toBeGreaterThanOrEqual(2);
        return search;
      }, 20_000);
      expect(refused?.marginUsd).toBeGreaterThan(1);
      // Well past the 1 s sustain: still nothing moved, and the refusal is in the log with its reason.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      expect((await client.listMigrations({})).migrations).toEqual([]);
      const refusal = coordinator.process
        .output()
        .split("\n")
        .find((line) => line.includes("automatic migration refused: a price is not live"));
      expect(JSON.parse(refusal ?? "{}")).toMatchObject({
        reason: "synthetic-prices",
        sourcePriceSource: "live",
        targetPriceSource: "model",
      });
      // ListRegions shows each price's source; live ones also when the API last confirmed them.
      const { regions } = await client.listRegions({});
      const east1Prices = regions.find((region) => region.region?.name === "us-east-1")?.prices ?? [];
      expect(east1Prices.map((price) => [price.instanceType, price.usdPerHour, price.source])).toEqual(
        expect.arrayContaining([
          ["m5.large", 0.1, PriceSource.LIVE],
          ["c5.large", 0.1, PriceSource.LIVE],
        ]),
      );
      expect(east1Prices.every((price) => price.confirmedAt !== undefined)).toBe(true);
      const east2Prices = regions.find((region) => region.region?.name === "us-east-2")?.prices ?? [];
      expect(east2Prices.map((price) => price.source)).toEqual([PriceSource.MODEL, PriceSource.MODEL]);
      expect(east2Prices.every((price) => price.confirmedAt === undefined)).toBe(true);
      // The live satellite read EC2 and says so in its metrics; its secret is in no log.
      expect(ec2East1.calls()).toBeGreaterThanOrEqual(1);
      expect(
        await readMetric(east1.opsUrl, "sentra_satellite_price_refreshes_total", { source: "aws", outcome: "success" }),
      ).toBeGreaterThanOrEqual(1);
      expect(east1.process.output()).not.toContain("e2e-test-only-secret");
      // /healthz says where prices come from and when the API last answered (readiness does not depend on it).
      const health = (await (await fetch(`${east1.opsUrl}/healthz`)).json()) as { ok: boolean; prices: unknown };
      expect(health.ok).toBe(true);
      expect(health.prices).toMatchObject({ source: "aws", confirmedAt: expect.any(String), lastError: null });

      // The same satellite restarted with live EC2 prices: both sides are live, automatic mode moves.
      await modelEast2.process.stop();
      const liveEast2: SimulatedSatellite = await startPricedSatellite(
        namespace,
        "us-east-2",
        { m5: 0, c5: 0 },
        {
          ...liveAwsEnv(ec2East2.url),
          SENTRA_PRICE_OVERRIDES: "",
        },
      );
      const migrated = await eventually(async () => {
        const { migrations } = await client.listMigrations({});
        const done = migrations.find((m) => m.state === MigrationState.DONE);
        expect(done).toBeDefined();
        return done;
      }, 30_000);
      expect(migrated?.requestedBy).toBe("auto");
      expect(migrated?.plan?.workload?.name).toBe("search-indexer");
      expect([migrated?.plan?.sourcePriceSource, migrated?.plan?.targetPriceSource]).toEqual([
        PriceSource.LIVE,
        PriceSource.LIVE,
      ]);
      expect(ec2East2.calls()).toBeGreaterThanOrEqual(1);
      expect(liveEast2.satelliteId).toBe(modelEast2.satelliteId);
    },
    PROCESS_TEST_TIMEOUT_MS,
  );
});
