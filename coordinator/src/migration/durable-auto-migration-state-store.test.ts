import { create } from "@bufbuild/protobuf";
import { createLogger } from "@sentra/common";
import { MigrationPlanSchema } from "@sentra/proto";
import { createTestNamespace, type TestNamespace } from "@sentra/testkit";
import type { Pool } from "mysql2/promise";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createAutoMigrationPolicy } from "../arbitrage/auto-migration-policy.js";
import { connectToMysql } from "../infrastructure/connections.js";
import { migrateSchema } from "../infrastructure/schema-migrator.js";
import { DurableAutoMigrationStateStore } from "./durable-auto-migration-state-store.js";
import { MigrationJournal } from "./migration-journal.js";
import type { MigrationRecord } from "./migration-record.js";
import { MIGRATION_SCHEMA_MIGRATIONS } from "./migration-schema.js";

const NOW_MS = 1_800_000_000_000;
const HOUR_MS = 3_600_000;

/** Automatic mode's state against real MariaDB and Redis: nothing of it may depend on Redis keys. */
describe("automatic-mode state store (MariaDB)", () => {
  let namespace: TestNamespace;
  let pool: Pool;
  let journal: MigrationJournal;
  const policy = createAutoMigrationPolicy({ enabled: true, cooldownSeconds: 6 * 3600, maxConcurrentMigrations: 1 });

  beforeEach(async () => {
    namespace = await createTestNamespace("autostate");
    pool = await connectToMysql(namespace.mysqlUrl);
    namespace.defer(() => pool.end());
    await migrateSchema(pool, createLogger("test", "silent"), MIGRATION_SCHEMA_MIGRATIONS);
    journal = new MigrationJournal(pool);
  });
  afterEach(async () => {
    await namespace.dispose();
  });

  const migration = (id: string, workloadKey: string, createdAtMs: number, requestedBy = "auto"): MigrationRecord => {
    const [ns = "", name = ""] = workloadKey.split("/");
    return {
      id,
      idempotencyKey: `auto:${createdAtMs}:${workloadKey}`,
      workloadKey,
      source: { satelliteId: "use1", cluster: "c1", namespace: ns, name },
      target: { satelliteId: "use2", cluster: "c2", cloud: "aws", region: "us-east-2" },
      requestedTarget: "aws:us-east-2",
      state: "PLANNED",
      plan: create(MigrationPlanSchema, { marginUsd: 2 }),
      requestedBy,
      fencingToken: 1,
      stepCount: 1,
      sourceReplicas: null,
      targetReplicasBefore: null,
      targetReplicasGoal: null,
      readyDeadlineMs: null,
      error: null,
      createdAtMs,
      updatedAtMs: createdAtMs,
      finishedAtMs: null,
      steps: [{ sequence: 1, state: "PLANNED", atMs: createdAtMs, detail: "planned" }],
    };
  };

  /** Deletes every Redis key of this test's coordinator (its prefix), as a Redis restart or flush would. */
  async function flushCoordinatorKeys(): Promise<number> {
    const redis = namespace.redis();
    const keys = await redis.keys(`${namespace.redisKeyPrefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    return keys.length;
  }

  it("keeps sustain clocks, migrations in flight and cool-downs across a Redis flush and a restarted coordinator", async () => {
    // In the journal: shop/cart moving now, shop/search moved and ended an hour ago.
    await journal.create(migration("m-cart", "shop/cart", NOW_MS - 60_000));
    const search = migration("m-search", "shop/search", NOW_MS - 2 * HOUR_MS);
    await journal.create(search);
    await journal.advance(search, "DONE", { detail: "moved" }, NOW_MS - HOUR_MS);

    const before = new DurableAutoMigrationStateStore(journal, policy, () => NOW_MS);
    const saved = {
      sustained: { "shop/checkout": { sinceMs: NOW_MS - 900_000, lastMarginUsd: 1.5, lastTarget: "aws:us-east-2" } },
      inFlight: { "shop/cart": { startedAtMs: NOW_MS - 60_000, target: "aws:us-east-2" } },
      cooldownUntilMs: { "shop/search": NOW_MS - HOUR_MS + 6 * HOUR_MS },
    };
    await before.save(saved);
    // The coordinator's Redis keys are all gone (the leader lease, locks, whatever else it keeps).
    await namespace.redis().set(`${namespace.redisKeyPrefix}auto-migration:leader`, "1:a");
    expect(await flushCoordinatorKeys()).toBeGreaterThan(0);

    // A restarted coordinator process: a new store over a new pool.
    const restartedPool = await connectToMysql(namespace.mysqlUrl);
    namespace.defer(() => restartedPool.end());
    const after = new DurableAutoMigrationStateStore(new MigrationJournal(restartedPool), policy, () => NOW_MS);
    expect(await after.load()).toEqual(saved);
  });

  it("rebuilds what the saved state lost from the journal: automatic migrations in flight and those cooling down", async () => {
    // A crash between a start and the save, or a state that lived in Redis (older versions): no row.
    await journal.create(migration("m-cart", "shop/cart", NOW_MS - 60_000));
    const search = migration("m-search", "shop/search", NOW_MS - 2 * HOUR_MS);
    await journal.create(search);
    await journal.advance(search, "COMPENSATED", { detail: "not moved" }, NOW_MS - HOUR_MS);
    // Not automatic mode's, or ended before the cool-down window: not its business.
    await journal.create(migration("m-manual", "shop/manual", NOW_MS - 30_000, "alice"));
    const old = migration("m-old", "shop/old", NOW_MS - 10 * HOUR_MS);
    await journal.create(old);
    await journal.advance(old, "DONE", { detail: "moved" }, NOW_MS - 7 * HOUR_MS);

    const store = new DurableAutoMigrationStateStore(journal, policy, () => NOW_MS);
    const state = await store.load();
    expect(state.inFlight).toEqual({ "shop/cart": { startedAtMs: NOW_MS - 60_000, target: "aws:us-east-2" } });
    expect(state.cooldownUntilMs).toEqual({ "shop/search": NOW_MS - HOUR_MS + 6 * HOUR_MS });
    // The cap (1) is taken by shop/cart: a new opportunity waits.
    const decision = policy.decide(state, [], NOW_MS);
    expect(Object.keys(decision.state.inFlight)).toEqual(["shop/cart"]);
  });

  it("frees the slot of a migration that ended while no leader ran, its cool-down from when it ended", async () => {
    const cart = migration("m-cart", "shop/cart", NOW_MS - 3 * HOUR_MS);
    await journal.create(cart);
    const store = new DurableAutoMigrationStateStore(journal, policy, () => NOW_MS);
    await store.save({
      sustained: {},
      inFlight: { "shop/cart": { startedAtMs: NOW_MS - 3 * HOUR_MS, target: "aws:us-east-2" } },
      cooldownUntilMs: {},
    });
    await journal.advance(cart, "FAILED", { detail: "gave up" }, NOW_MS - 2 * HOUR_MS);
    const state = await store.load();
    expect(state.inFlight).toEqual({});
    expect(state.cooldownUntilMs).toEqual({ "shop/cart": NOW_MS - 2 * HOUR_MS + 6 * HOUR_MS });
  });
});
