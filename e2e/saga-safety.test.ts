import { type Migration, MigrationState } from "@sentra/proto";
import { createTestNamespace, eventually, type TestNamespace } from "@sentra/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startCoordinatorProcess } from "./support/estate-processes.js";
import {
  coordinatorClient,
  exited,
  grpcError,
  journalRows,
  startPricedSatellite,
  waitForEstate,
  waitForMigrationEnd,
} from "./support/migration-estate.js";

/**
 * End-to-end saga safety (issue 14, item 4) with real coordinator and satellite processes over real
 * NATS, Redis and MariaDB: what the coordinator keeps in Redis may vanish (a Redis restart or flush;
 * here only the test's own keys are deleted, never the shared server's), and the journal in MySQL
 * must still keep one migration per workload and automatic mode's cap. Prices as in
 * migration.test.ts: us-east-1 expensive, us-east-2 cheap.
 */
const EXPENSIVE = { m5: 0.1, c5: 0.1 };
const CHEAP = { m5: 0.02, c5: 0.03 };
const PROCESS_TEST_TIMEOUT_MS = 150_000;

const ms = (t: { seconds: bigint; nanos: number } | undefined) =>
  Number(t?.seconds ?? 0n) * 1000 + (t?.nanos ?? 0) / 1e6;

describe("saga safety when Redis loses the coordinator's keys", () => {
  let namespace: TestNamespace;
  beforeEach(async () => {
    namespace = await createTestNamespace("sagasafe");
  });
  afterEach(async () => {
    await namespace?.dispose();
  });

  /** Deletes every Redis key of this test's coordinators (their prefix), as a Redis restart would. */
  async function flushCoordinatorKeys(): Promise<void> {
    const redis = namespace.redis();
    const keys = await redis.keys(`${namespace.redisKeyPrefix}*`);
    if (keys.length > 0) await redis.del(...keys);
  }

  it(
    "refuses a second Migrate of a workload while the journal holds an unfinished one, though its lock is gone",
    async () => {
      const coordinator = await startCoordinatorProcess(namespace, {
        SENTRA_MIGRATION_POLL_INTERVAL_MS: "100",
        SENTRA_MIGRATION_RECOVERY_INTERVAL_MS: "300",
      });
      const client = coordinatorClient(namespace, coordinator.grpcAddress, coordinator.adminToken);
      const [east1, east2] = await Promise.all([
        startPricedSatellite(namespace, "us-east-1", EXPENSIVE, { SENTRA_SIM_READINESS_DELAY_MS: "200" }),
        // A slow target: the first migration stays in SCALING_UP_TARGET for a while.
        startPricedSatellite(namespace, "us-east-2", CHEAP, { SENTRA_SIM_READINESS_DELAY_MS: "6000" }),
      ]);
      await waitForEstate(client, [east1, east2]);
      const workload = { satelliteId: east1.satelliteId, namespace: "default", name: "checkout-api" };
      const first = await client.migrate({ workload, idempotencyKey: "first" });
      const id = first.migration?.id ?? "";
      await eventually(async () => {
        expect(MigrationState[(await client.getMigration({ id })).migration?.state ?? 0]).toBe("SCALING_UP_TARGET");
      });

      // The workload lock vanishes from Redis (expired, flushed, Redis restarted).
      await namespace.redis().del(`${namespace.redisKeyPrefix}migration:lock:default/checkout-api`);
      const refused = await grpcError(client.migrate({ workload, idempotencyKey: "second" }));
      expect(refused).toMatchObject({ code: "FAILED_PRECONDITION", details: { migrationId: id } });
      expect(refused.message).toContain(`unfinished migration ${id}`);

      // The first one still finishes (recovered from the journal), and it is the only one.
      const end = await waitForMigrationEnd(client, id, 40_000);
      expect(MigrationState[end.state]).toBe("DONE");
      expect((await journalRows(namespace, "checkout-api")).map((row) => row.id)).toEqual([id]);
    },
    PROCESS_TEST_TIMEOUT_MS,
  );

  it(
    "keeps automatic mode's concurrency cap across a Redis flush and a coordinator killed and restarted",
    async () => {
      // Threshold 1 USD: search-indexer (1.51) and checkout-api (1.33) qualify; cap 1: one after the other.
      const env = {
        SENTRA_ARBITRAGE_INTERVAL_MS: "200",
        SENTRA_AUTO_MIGRATE: "true",
        // The seeded workloads live in namespace default: opt it in to automatic mode.
        SENTRA_AUTO_MIGRATE_NAMESPACES: "default",
        SENTRA_AUTO_MIGRATE_ALLOW_SYNTHETIC_PRICES: "true",
        SENTRA_AUTO_MARGIN_THRESHOLD_USD: "1",
        SENTRA_AUTO_SUSTAIN_S: "1",
        SENTRA_AUTO_COOLDOWN_S: "600",
        SENTRA_AUTO_MAX_CONCURRENT: "1",
        SENTRA_MIGRATION_POLL_INTERVAL_MS: "100",
        SENTRA_MIGRATION_LOCK_TTL_MS: "1000",
        SENTRA_MIGRATION_RECOVERY_INTERVAL_MS: "300",
      };
      const doomed = await startCoordinatorProcess(namespace, env);
      const doomedClient = coordinatorClient(namespace, doomed.grpcAddress, doomed.adminToken);
      const [east1, east2] = await Promise.all([
        startPricedSatellite(namespace, "us-east-1", EXPENSIVE, { SENTRA_SIM_READINESS_DELAY_MS: "200" }),
        startPricedSatellite(namespace, "us-east-2", CHEAP, { SENTRA_SIM_READINESS_DELAY_MS: "12000" }),
      ]);
      await waitForEstate(doomedClient, [east1, east2]);
      const started = await eventually(async () => {
        const { migrations } = await doomedClient.listMigrations({});
        expect(migrations).toHaveLength(1);
        return migrations[0] as Migration;
      }, 30_000);
      expect(started.plan?.workload?.name).toBe("search-indexer");

      // The coordinator dies mid-saga and Redis loses everything it kept there.
      doomed.process.child.kill("SIGKILL");
      expect(await exited(doomed.process)).toMatchObject({ signal: "SIGKILL" });
      await flushCoordinatorKeys();

      const restarted = await startCoordinatorProcess(namespace, env);
      const client = coordinatorClient(namespace, restarted.grpcAddress, restarted.adminToken);
      const migrations = await eventually(
        async () => {
          const { migrations } = await client.listMigrations({});
          expect(migrations.map((m) => MigrationState[m.state])).toEqual(["DONE", "DONE"]);
          return migrations;
        },
        90_000,
        250,
      );
      const [second, first] = migrations as [Migration, Migration];
      expect(first.id).toBe(started.id);
      expect(second.plan?.workload?.name).toBe("checkout-api");
      // The cap held: the restarted coordinator knew search-indexer was still in flight.
      expect(ms(second.createdAt)).toBeGreaterThanOrEqual(ms(first.finishedAt));
    },
    PROCESS_TEST_TIMEOUT_MS,
  );
});
