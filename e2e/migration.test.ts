import { type Migration, MigrationState } from "@sentra/proto";
import { createTestNamespace, eventually, type TestNamespace } from "@sentra/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearerHeaders } from "./support/coordinator-auth.js";
import { type CoordinatorProcess, readMetric, startCoordinatorProcess } from "./support/estate-processes.js";
import {
  type CoordinatorClient,
  coordinatorClient,
  desiredSteps,
  exited,
  grpcError,
  injectFailure,
  journalRows,
  minReadyFrom,
  replicaTimeline,
  type SimulatedSatellite,
  startPricedSatellite,
  stepStates,
  sumTimelines,
  waitForEstate,
  waitForMigrationEnd,
} from "./support/migration-estate.js";

/**
 * End-to-end: a real coordinator process and real satellite processes (simulated clusters) over
 * real NATS, Redis and MariaDB. Prices are pinned with SENTRA_PRICE_OVERRIDES (every zone, two
 * instance types), so every margin below is exactly computable:
 *
 *   aws:us-east-1  m5.large 0.10, c5.large 0.10 USD/h      ("expensive")
 *   aws:us-east-2  m5.large 0.02, c5.large 0.03 USD/h      ("cheap")
 *
 * m5.large is 2 vCPU / 8 GiB, c5.large 2 vCPU / 4 GiB; egress aws:us-east-1 ↔ aws:us-east-2 is
 * 0.01 USD/GB (docs/arbitrage.md); the default state is 10 GB, readiness estimate 300 s, horizon 24 h.
 * Every simulated cluster is seeded with the same demo Deployments in namespace `default`.
 */
const EXPENSIVE = { m5: 0.1, c5: 0.1 };
const CHEAP = { m5: 0.02, c5: 0.03 };
const EGRESS_USE1_USE2_USD_PER_GB = 0.01;

/** The formula: (cost_now − cost_target) × 24 h − egress − overlap (both copies for the readiness estimate). */
function margin(costNow: number, costTarget: number, stateGb: number): number {
  return (costNow - costTarget) * 24 - stateGb * EGRESS_USE1_USE2_USD_PER_GB - ((costNow + costTarget) * 300) / 3600;
}

/** Tests that start (and restart) processes: generous, since CI machines are shared and small. */
const PROCESS_TEST_TIMEOUT_MS = 90_000;

const ACTIVE_STATES = ["PLANNED", "LOCKED", "SCALING_UP_TARGET", "TARGET_READY", "SCALING_DOWN_SOURCE"];
const HAPPY_PATH = [...ACTIVE_STATES, "DONE"];

describe("arbitrage opportunities from live prices", () => {
  let namespace: TestNamespace;
  beforeAll(async () => {
    namespace = await createTestNamespace("arbitrage");
  });
  afterAll(async () => {
    await namespace?.dispose();
  });

  it(
    "a price drop in one region yields an opportunity with the exact margin of the formula, streamed to watchers, gone when the price goes stale",
    async () => {
      const coordinator = await startCoordinatorProcess(namespace, { SENTRA_ARBITRAGE_INTERVAL_MS: "200" });
      const client = coordinatorClient(namespace, coordinator.grpcAddress, coordinator.adminToken);
      const [east1, east2] = await Promise.all([
        startPricedSatellite(namespace, "us-east-1", EXPENSIVE),
        startPricedSatellite(namespace, "us-east-2", EXPENSIVE),
      ]);
      await waitForEstate(client, [east1, east2]);

      const streamed: { opportunities: { workload?: { name: string }; marginUsd: number }[] }[] = [];
      const watching = new AbortController();
      const watch = (async () => {
        for await (const message of client.watchOpportunities({}, { signal: watching.signal })) streamed.push(message);
      })();
      namespace.defer(async () => {
        watching.abort();
        await watch;
      });

      // Same prices everywhere: no move pays.
      await eventually(async () => {
        const ranking = await client.listOpportunities({});
        expect(ranking.opportunities).toEqual([]);
        expect(streamed.length).toBeGreaterThan(0);
      });

      // The price drop: us-east-2's satellite comes back quoting m5.large at 0.02 and c5.large at 0.03.
      await east2.process.stop();
      const cheap = await startPricedSatellite(namespace, "us-east-2", CHEAP);
      // checkout-api: 3 replicas × 500m / 512Mi → share 0.25 of either type; no state annotation → 10 GB.
      const costNow = 3 * 0.25 * 0.1;
      const costTarget = 3 * 0.25 * 0.02;
      const opportunity = await eventually(async () => {
        const { opportunities } = await client.listOpportunities({});
        const found = opportunities.find((o) => o.workload?.name === "checkout-api");
        expect(found).toBeDefined();
        return found as NonNullable<typeof found>;
      }, 15_000);
      expect(opportunity.marginUsd).toBeCloseTo(margin(costNow, costTarget, 10), 10);
      expect(opportunity.marginUsd).toBeCloseTo(1.3325, 10);
      expect(opportunity).toMatchObject({
        workload: { satelliteId: east1.satelliteId, cluster: east1.cluster, namespace: "default" },
        sourceRegion: "us-east-1",
        targetRegion: "us-east-2",
        targetSatelliteId: cheap.satelliteId,
        targetInstanceType: "m5.large",
        targetPriceUsdPerHour: 0.02,
        sourcePriceUsdPerHour: 0.1,
        stateGb: 10,
        stateGbFrom: "default",
        egressUsdPerGb: EGRESS_USE1_USE2_USD_PER_GB,
        accepted: true,
        priced: true,
      });
      expect(opportunity.costNowUsdPerHour).toBeCloseTo(costNow, 12);
      expect(opportunity.costTargetUsdPerHour).toBeCloseTo(costTarget, 12);
      expect(opportunity.savings24hUsd).toBeCloseTo((costNow - costTarget) * 24, 12);
      expect(opportunity.egressUsd).toBeCloseTo(0.1, 12);
      expect(opportunity.overlapUsd).toBeCloseTo(((costNow + costTarget) * 300) / 3600, 12);
      expect(opportunity.targetPriceAgeSeconds).toBeLessThan(2);
      // Subscribers got the new ranking without asking.
      await eventually(() =>
        expect(streamed.some((m) => m.opportunities.some((o) => o.workload?.name === "checkout-api"))).toBe(true),
      );
      // REST shows the same ranking (the latest one: it is recomputed every 200 ms here).
      await eventually(async () => {
        const rest = (await (
          await fetch(`${coordinator.httpUrl}/api/v1/opportunities`, { headers: bearerHeaders(coordinator.adminToken) })
        ).json()) as {
          opportunities: { workload: { name: string }; marginUsd: number }[];
        };
        expect(rest.opportunities.find((o) => o.workload.name === "checkout-api")?.marginUsd).toBeCloseTo(1.3325, 10);
      });

      // A stale price is never used: the cheap satellite dies, its prices expire, the opportunity goes.
      await cheap.process.kill();
      await eventually(async () => {
        const { opportunities } = await client.listOpportunities({});
        expect(opportunities).toEqual([]);
      }, 10_000);
    },
    PROCESS_TEST_TIMEOUT_MS,
  );
});

describe("migrations on simulated clusters", () => {
  let namespace: TestNamespace;
  let coordinator: CoordinatorProcess;
  let client: CoordinatorClient;
  let east1: SimulatedSatellite;
  let east2: SimulatedSatellite;

  beforeAll(async () => {
    namespace = await createTestNamespace("migration");
    coordinator = await startCoordinatorProcess(namespace, {
      SENTRA_ARBITRAGE_INTERVAL_MS: "250",
      SENTRA_MIGRATION_READY_TIMEOUT_MS: "4000",
      SENTRA_MIGRATION_STEP_TIMEOUT_MS: "4000",
      SENTRA_MIGRATION_POLL_INTERVAL_MS: "100",
      SENTRA_MIGRATION_LOCK_TTL_MS: "2000",
      SENTRA_MIGRATION_RECOVERY_INTERVAL_MS: "500",
    });
    client = coordinatorClient(namespace, coordinator.grpcAddress, coordinator.adminToken);
    [east1, east2] = await Promise.all([
      startPricedSatellite(namespace, "us-east-1", EXPENSIVE, { SENTRA_SIM_READINESS_DELAY_MS: "300" }),
      startPricedSatellite(namespace, "us-east-2", CHEAP, { SENTRA_SIM_READINESS_DELAY_MS: "600" }),
    ]);
    await waitForEstate(client, [east1, east2]);
  }, PROCESS_TEST_TIMEOUT_MS);
  afterAll(async () => {
    await namespace?.dispose();
  });

  const ref = (satellite: SimulatedSatellite, name: string) => ({
    satelliteId: satellite.satelliteId,
    cluster: satellite.cluster,
    namespace: "default",
    name,
  });

  it("refuses a negative margin with FAILED_PRECONDITION and the numbers (gRPC and REST 412); bad input names the field", async () => {
    // search-indexer from the cheap region back to the expensive one: 2 × (1 CPU / 2Gi) → share 0.5, 40 GB of state.
    const costNow = 2 * 0.5 * 0.02;
    const costTarget = 2 * 0.5 * 0.1;
    const expected = margin(costNow, costTarget, 40);
    expect(expected).toBeCloseTo(-2.33, 10);

    const refused = await grpcError(
      client.planMigration({ workload: ref(east2, "search-indexer"), targetRegion: "us-east-1" }),
    );
    expect(refused.code).toBe("FAILED_PRECONDITION");
    expect(refused.message).toMatch(/would not pay.*margin −2\.33 USD/);
    expect(refused.details).toMatchObject({
      accepted: false,
      refusalCode: "MARGIN_NOT_POSITIVE",
      priced: true,
      sourceRegion: "us-east-2",
      targetRegion: "us-east-1",
      stateGb: 40,
      stateGbFrom: "workload",
      sourcePriceUsdPerHour: 0.02,
      targetPriceUsdPerHour: 0.1,
    });
    expect(refused.details?.marginUsd as number).toBeCloseTo(expected, 10);
    expect(refused.details?.egressUsd as number).toBeCloseTo(0.4, 10);
    expect(refused.details?.savings24hUsd as number).toBeCloseTo((costNow - costTarget) * 24, 10);
    expect(typeof refused.details?.targetPriceAgeSeconds).toBe("number");

    // Migrate runs the same dry run and journals nothing.
    const migrate = await grpcError(
      client.migrate({ workload: ref(east2, "search-indexer"), targetRegion: "us-east-1", idempotencyKey: "neg-1" }),
    );
    expect(migrate.code).toBe("FAILED_PRECONDITION");
    expect(migrate.details?.marginUsd as number).toBeCloseTo(expected, 10);
    expect((await client.listMigrations({ name: "search-indexer" })).migrations).toEqual([]);

    const response = await fetch(`${coordinator.httpUrl}/api/v1/migrations/plan`, {
      method: "POST",
      headers: bearerHeaders(coordinator.adminToken, { "content-type": "application/json" }),
      body: JSON.stringify({
        workload: { satelliteId: east2.satelliteId, namespace: "default", name: "search-indexer" },
        targetRegion: "us-east-1",
      }),
    });
    expect(response.status).toBe(412);
    const body = (await response.json()) as {
      error: { code: string; message: string; details: Record<string, unknown> };
    };
    expect(body.error.code).toBe("FAILED_PRECONDITION");
    expect(body.error.details.refusalCode).toBe("MARGIN_NOT_POSITIVE");
    expect(body.error.details.marginUsd as number).toBeCloseTo(expected, 10);
    expect(body.error.details.egressUsd as number).toBeCloseTo(0.4, 10);

    const bad = await fetch(`${coordinator.httpUrl}/api/v1/migrations/plan`, {
      method: "POST",
      headers: bearerHeaders(coordinator.adminToken, { "content-type": "application/json" }),
      body: JSON.stringify({ workload: { satelliteId: east2.satelliteId, namespace: "default" } }),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { field: string } }).error.field).toBe("workload.name");
    const badGrpc = await grpcError(
      client.planMigration({ workload: { satelliteId: east2.satelliteId, namespace: "default" } }),
    );
    expect(badGrpc).toMatchObject({ code: "INVALID_ARGUMENT", field: "workload.name" });
  });

  it("completes a migration step by step; ready replicas over both clusters never fall below what they were", async () => {
    const startedAtMs = Date.now();
    const { migration, replayed } = await client.migrate({
      workload: ref(east1, "checkout-api"),
      idempotencyKey: "checkout-1",
      requestedBy: "e2e",
    });
    expect(replayed).toBe(false);
    const id = migration?.id ?? "";
    expect(migration?.plan?.targetRegion).toBe("us-east-2");

    const watched: Migration[] = [];
    for await (const message of client.watchMigrations({ id }, { timeoutMs: 15_000 })) {
      if (message.migration) watched.push(message.migration);
    }
    const done = watched.at(-1) as Migration;
    expect(MigrationState[done.state]).toBe("DONE");
    expect(stepStates(done)).toEqual(HAPPY_PATH);
    expect(watched.length).toBeGreaterThanOrEqual(2);
    expect(done).toMatchObject({
      sourceReplicas: 3,
      targetReplicasBefore: 3,
      targetReplicasGoal: 6,
      requestedBy: "e2e",
    });

    await eventually(async () => {
      expect((await replicaTimeline(east1, "checkout-api")).at(-1)).toMatchObject({ desired: 0, ready: 0 });
      expect((await replicaTimeline(east2, "checkout-api")).at(-1)).toMatchObject({ desired: 6, ready: 6 });
    });
    const source = await replicaTimeline(east1, "checkout-api");
    const target = await replicaTimeline(east2, "checkout-api");
    expect(desiredSteps(source)).toEqual([3, 0]);
    expect(desiredSteps(target)).toEqual([3, 6]);
    // Make-before-break: 3 + 3 ready before, 6 after; never fewer at any instant in between.
    expect(minReadyFrom(sumTimelines([source, target]), startedAtMs)).toBeGreaterThanOrEqual(6);
    // The source was scaled down only after the target had all 6 ready.
    const sourceDownAt = source.find((p) => p.desired === 0)?.atMs ?? 0;
    const targetReadyAt = target.find((p) => p.ready === 6)?.atMs ?? Number.POSITIVE_INFINITY;
    expect(targetReadyAt).toBeLessThanOrEqual(sourceDownAt);

    const rest = await fetch(`${coordinator.httpUrl}/api/v1/migrations/${id}`, {
      headers: bearerHeaders(coordinator.adminToken),
    });
    expect(rest.status).toBe(200);
    expect(((await rest.json()) as { migration: { state: string } }).migration.state).toBe("MIGRATION_STATE_DONE");
    expect(
      await readMetric(coordinator.httpUrl, "sentra_coordinator_migrations_finished_total", { outcome: "done" }),
    ).toBeGreaterThanOrEqual(1);
  });

  it("compensates when the target never becomes ready: the target goes back, the source is never scaled down", async () => {
    await injectFailure(east2, { type: "failReadiness", namespace: "default", name: "storefront-web", maxReady: 4 });
    const startedAtMs = Date.now();
    const { migration } = await client.migrate({
      workload: ref(east1, "storefront-web"),
      targetRegion: "aws:us-east-2",
      idempotencyKey: "storefront-1",
    });
    const end = await waitForMigrationEnd(client, migration?.id ?? "");
    expect(MigrationState[end.state]).toBe("COMPENSATED");
    expect(stepStates(end)).toEqual(["PLANNED", "LOCKED", "SCALING_UP_TARGET", "COMPENSATING", "COMPENSATED"]);
    expect(end.error).toMatch(/not ready by the deadline: 4 of 8 replicas ready/);
    expect(end.steps.at(-1)?.detail).toMatch(/back from 8 to 4 desired replicas; source untouched/);
    // The deadline (4 s from the lock) was kept: no hang, no early give-up.
    expect(Date.now() - startedAtMs).toBeGreaterThanOrEqual(4_000);

    await eventually(async () => expect((await replicaTimeline(east2, "storefront-web")).at(-1)?.desired).toBe(4));
    const source = await replicaTimeline(east1, "storefront-web");
    expect(desiredSteps(source)).toEqual([4]);
    expect(source.every((p) => p.ready === 4)).toBe(true);
    expect(desiredSteps(await replicaTimeline(east2, "storefront-web"))).toEqual([4, 8, 4]);
    await fetch(`${east2.clusterUrl}/sentra-sim/v1/failures`, { method: "DELETE" });
  });

  it("runs exactly one of two concurrent Migrate calls for one workload", async () => {
    const calls = await Promise.allSettled([
      client.migrate({ workload: ref(east1, "payments-worker"), idempotencyKey: "payments-a" }),
      client.migrate({ workload: ref(east1, "payments-worker"), idempotencyKey: "payments-b" }),
    ]);
    const started = calls.filter((c) => c.status === "fulfilled");
    const refused = calls.filter((c): c is PromiseRejectedResult => c.status === "rejected");
    expect(started).toHaveLength(1);
    expect(refused).toHaveLength(1);
    const winner = (started[0] as PromiseFulfilledResult<{ migration?: Migration }>).value.migration as Migration;
    expect(refused[0]?.reason).toMatchObject({ code: "ABORTED", details: { migrationId: winner.id } });
    expect(refused[0]?.reason.message).toMatch(/default\/payments-worker is being migrated by migration/);

    expect(MigrationState[(await waitForMigrationEnd(client, winner.id)).state]).toBe("DONE");
    expect((await client.listMigrations({ name: "payments-worker" })).migrations).toHaveLength(1);
    await eventually(async () => expect((await replicaTimeline(east2, "payments-worker")).at(-1)?.ready).toBe(4));
    expect(desiredSteps(await replicaTimeline(east2, "payments-worker"))).toEqual([2, 4]);
    expect(desiredSteps(await replicaTimeline(east1, "payments-worker"))).toEqual([2, 0]);
    expect(
      await readMetric(coordinator.httpUrl, "sentra_coordinator_migration_lock_contention_total"),
    ).toBeGreaterThanOrEqual(1);
  });

  it("starts one migration for the same idempotency key sent twice at once, and again later (gRPC and REST)", async () => {
    const request = { workload: ref(east1, "ledger-db-proxy"), idempotencyKey: "ledger-1" };
    const [first, second] = await Promise.all([client.migrate(request), client.migrate(request)]);
    expect(first.migration?.id).toBe(second.migration?.id);
    expect([first.replayed, second.replayed].sort()).toEqual([false, true]);
    const id = first.migration?.id ?? "";
    expect(MigrationState[(await waitForMigrationEnd(client, id)).state]).toBe("DONE");

    const again = await client.migrate(request);
    expect(again).toMatchObject({ replayed: true, migration: { id, state: MigrationState.DONE } });
    const rest = await fetch(`${coordinator.httpUrl}/api/v1/migrations`, {
      method: "POST",
      headers: bearerHeaders(coordinator.adminToken, {
        "content-type": "application/json",
        "idempotency-key": "ledger-1",
      }),
      body: JSON.stringify({ workload: ref(east1, "ledger-db-proxy") }),
    });
    expect(rest.status).toBe(200);
    expect((await rest.json()) as object).toMatchObject({ replayed: true, migration: { id } });
    // The same key for another request is a conflict, not a silent replay.
    const misuse = await grpcError(client.migrate({ ...request, workload: ref(east1, "checkout-api") }));
    expect(misuse).toMatchObject({ code: "ALREADY_EXISTS", field: "idempotency_key" });

    expect((await client.listMigrations({ name: "ledger-db-proxy" })).migrations.map((m) => m.id)).toEqual([id]);
    expect(desiredSteps(await replicaTimeline(east2, "ledger-db-proxy"))).toEqual([2, 4]);
    expect(desiredSteps(await replicaTimeline(east1, "ledger-db-proxy"))).toEqual([2, 0]);
  });
});

describe("automatic mode", () => {
  let namespace: TestNamespace;
  beforeAll(async () => {
    namespace = await createTestNamespace("automigrate");
  });
  afterAll(async () => {
    await namespace?.dispose();
  });

  it(
    "moves on its own only what stays above the threshold for the sustain time, one at a time",
    async () => {
      // Margins here: search-indexer 1.51, checkout-api 1.3325, payments-worker 0.4575, ledger-db-proxy 0.377,
      // storefront-web 0.282 USD. Threshold 1 USD: only the first two qualify; cap 1: one after the other.
      const coordinator = await startCoordinatorProcess(namespace, {
        SENTRA_ARBITRAGE_INTERVAL_MS: "200",
        SENTRA_AUTO_MIGRATE: "true",
        // The seeded workloads live in namespace default: opt it in to automatic mode.
        SENTRA_AUTO_MIGRATE_NAMESPACES: "default",
        // The simulated satellites price with the model (SENTRA_PRICE_OVERRIDES): synthetic prices.
        SENTRA_AUTO_MIGRATE_ALLOW_SYNTHETIC_PRICES: "true",
        SENTRA_AUTO_MARGIN_THRESHOLD_USD: "1",
        SENTRA_AUTO_SUSTAIN_S: "3",
        SENTRA_AUTO_COOLDOWN_S: "600",
        SENTRA_AUTO_MAX_CONCURRENT: "1",
        SENTRA_MIGRATION_POLL_INTERVAL_MS: "100",
      });
      const client = coordinatorClient(namespace, coordinator.grpcAddress, coordinator.adminToken);
      const [east1, east2] = await Promise.all([
        startPricedSatellite(namespace, "us-east-1", EXPENSIVE, { SENTRA_SIM_READINESS_DELAY_MS: "300" }),
        startPricedSatellite(namespace, "us-east-2", CHEAP, { SENTRA_SIM_READINESS_DELAY_MS: "300" }),
      ]);
      await waitForEstate(client, [east1, east2]);
      await eventually(async () => {
        const { opportunities } = await client.listOpportunities({});
        expect(opportunities.map((o) => o.workload?.name)).toContain("checkout-api");
      });
      // Hysteresis: the opportunities exist, but nothing moves before they have lasted 3 s.
      expect((await client.listMigrations({})).migrations).toEqual([]);

      const migrations = await eventually(async () => {
        const { migrations } = await client.listMigrations({});
        expect(migrations).toHaveLength(2);
        expect(migrations.map((m) => MigrationState[m.state])).toEqual(["DONE", "DONE"]);
        return migrations;
      }, 20_000);
      const [second, first] = migrations as [Migration, Migration];
      expect(first.plan?.workload?.name).toBe("search-indexer");
      expect(second.plan?.workload?.name).toBe("checkout-api");
      expect(migrations.every((m) => m.requestedBy === "auto" && m.idempotencyKey.startsWith("auto:"))).toBe(true);
      // The cap: the second started only after the first had ended.
      const ms = (t: { seconds: bigint; nanos: number } | undefined) =>
        Number(t?.seconds ?? 0n) * 1000 + (t?.nanos ?? 0) / 1e6;
      expect(ms(second.createdAt)).toBeGreaterThanOrEqual(ms(first.finishedAt));
      // Below the threshold: never moved.
      expect(desiredSteps(await replicaTimeline(east1, "payments-worker"))).toEqual([2]);
      expect(await readMetric(coordinator.httpUrl, "sentra_coordinator_auto_migration_leader")).toBe(1);
      expect(
        await readMetric(coordinator.httpUrl, "sentra_coordinator_migrations_started_total", { trigger: "auto" }),
      ).toBe(2);
    },
    PROCESS_TEST_TIMEOUT_MS,
  );
});

describe("crash safety: a coordinator killed mid-saga (SIGKILL) and restarted", () => {
  let namespace: TestNamespace;
  let east1: SimulatedSatellite;
  let east2: SimulatedSatellite;
  const coordinatorEnv = {
    SENTRA_MIGRATION_READY_TIMEOUT_MS: "15000",
    SENTRA_MIGRATION_POLL_INTERVAL_MS: "100",
    SENTRA_MIGRATION_LOCK_TTL_MS: "1000",
    SENTRA_MIGRATION_RECOVERY_INTERVAL_MS: "300",
  };

  beforeAll(async () => {
    namespace = await createTestNamespace("crash");
    [east1, east2] = await Promise.all([
      startPricedSatellite(namespace, "us-east-1", EXPENSIVE, { SENTRA_SIM_READINESS_DELAY_MS: "200" }),
      startPricedSatellite(namespace, "us-east-2", CHEAP, { SENTRA_SIM_READINESS_DELAY_MS: "800" }),
    ]);
  }, PROCESS_TEST_TIMEOUT_MS);
  afterAll(async () => {
    await namespace?.dispose();
  });

  /**
   * Starts a coordinator that SIGKILLs itself at `crashAt` (fault injection, SENTRA_TEST_CRASH_AT_STEP),
   * migrates `name` from us-east-1 and waits for the crash; then a fresh coordinator resumes from the journal.
   */
  async function crashThenResume(name: string, crashAt: string, journalledState: string) {
    const doomed = await startCoordinatorProcess(namespace, { ...coordinatorEnv, SENTRA_TEST_CRASH_AT_STEP: crashAt });
    const doomedClient = coordinatorClient(namespace, doomed.grpcAddress, doomed.adminToken);
    await waitForEstate(doomedClient, [east1, east2]);
    const startedAtMs = Date.now();
    // The process may die before the answer leaves: the journal, not the reply, says what was started.
    await doomedClient
      .migrate({
        workload: { satelliteId: east1.satelliteId, namespace: "default", name },
        idempotencyKey: `crash-${name}`,
      })
      .catch(() => undefined);
    expect(await exited(doomed.process)).toMatchObject({ signal: "SIGKILL" });
    const rows = await journalRows(namespace, name);
    expect(rows.map((r) => r.state)).toEqual([journalledState]);
    const id = rows[0]?.id ?? "";

    const restarted = await startCoordinatorProcess(namespace, coordinatorEnv);
    const client = coordinatorClient(namespace, restarted.grpcAddress, restarted.adminToken);
    const end = await waitForMigrationEnd(client, id, 20_000);
    namespace.defer(() => restarted.process.stop());
    const journal = await journalRows(namespace, name);
    expect(journal).toHaveLength(1);
    expect(journal[0]?.fencing_token).toBeGreaterThan(rows[0]?.fencing_token ?? 0);
    const replay = await client.migrate({
      workload: { satelliteId: east1.satelliteId, namespace: "default", name },
      idempotencyKey: `crash-${name}`,
    });
    expect(replay).toMatchObject({ replayed: true, migration: { id } });
    await restarted.process.stop();
    return { end, startedAtMs };
  }

  it(
    "killed between target ready and source scale-down: resumes and finishes exactly once",
    async () => {
      const { end, startedAtMs } = await crashThenResume("checkout-api", "TARGET_READY", "TARGET_READY");
      expect(MigrationState[end.state]).toBe("DONE");
      const states = stepStates(end);
      expect(states).toEqual([...HAPPY_PATH.slice(0, 4), "TARGET_READY", "SCALING_DOWN_SOURCE", "DONE"]);
      expect(end.steps[4]?.detail).toMatch(/resumed from the journal .* in state TARGET_READY/);
      await eventually(async () => expect((await replicaTimeline(east1, "checkout-api")).at(-1)?.ready).toBe(0));
      const source = await replicaTimeline(east1, "checkout-api");
      const target = await replicaTimeline(east2, "checkout-api");
      expect(desiredSteps(source)).toEqual([3, 0]);
      expect(desiredSteps(target)).toEqual([3, 6]);
      expect(minReadyFrom(sumTimelines([source, target]), startedAtMs)).toBeGreaterThanOrEqual(6);
    },
    PROCESS_TEST_TIMEOUT_MS,
  );

  it(
    "killed after the source's scale-down was sent but before it was journalled: the retry replays, the source is scaled once",
    async () => {
      const { end } = await crashThenResume("payments-worker", "SOURCE_SCALE_SENT", "SCALING_DOWN_SOURCE");
      expect(MigrationState[end.state]).toBe("DONE");
      expect(end.steps.at(-1)?.detail).toMatch(/replayed after a restart: applied once/);
      expect(desiredSteps(await replicaTimeline(east1, "payments-worker"))).toEqual([2, 0]);
      expect(desiredSteps(await replicaTimeline(east2, "payments-worker"))).toEqual([2, 4]);
    },
    PROCESS_TEST_TIMEOUT_MS,
  );

  it(
    "killed during the target's scale-up: the resumed saga ends consistent (target scaled once, then source)",
    async () => {
      const { end, startedAtMs } = await crashThenResume("storefront-web", "TARGET_SCALE_SENT", "SCALING_UP_TARGET");
      expect(MigrationState[end.state]).toBe("DONE");
      expect(stepStates(end)).toEqual([...HAPPY_PATH.slice(0, 3), "SCALING_UP_TARGET", ...HAPPY_PATH.slice(3)]);
      await eventually(async () => expect((await replicaTimeline(east1, "storefront-web")).at(-1)?.ready).toBe(0));
      const source = await replicaTimeline(east1, "storefront-web");
      const target = await replicaTimeline(east2, "storefront-web");
      expect(desiredSteps(target)).toEqual([4, 8]);
      expect(desiredSteps(source)).toEqual([4, 0]);
      expect(minReadyFrom(sumTimelines([source, target]), startedAtMs)).toBeGreaterThanOrEqual(8);
    },
    PROCESS_TEST_TIMEOUT_MS,
  );
});
