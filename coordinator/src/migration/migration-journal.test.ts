import { create } from "@bufbuild/protobuf";
import { createLogger } from "@sentra/common";
import { MigrationPlanSchema } from "@sentra/proto";
import { createTestNamespace, type TestNamespace } from "@sentra/testkit";
import type { Pool } from "mysql2/promise";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { connectToMysql } from "../infrastructure/connections.js";
import { migrateSchema } from "../infrastructure/schema-migrator.js";
import { DuplicateIdempotencyKeyError, MigrationJournal, WorkloadMigrationActiveError } from "./migration-journal.js";
import type { MigrationRecord } from "./migration-record.js";
import { MIGRATION_SCHEMA_MIGRATIONS } from "./migration-schema.js";
import { WorkloadLock } from "./workload-lock.js";

/** The journal against real MariaDB and the lock against real Redis: the fencing contract. */
describe("migration journal (MariaDB) and workload lock (Redis)", () => {
  let namespace: TestNamespace;
  let pool: Pool;
  let journal: MigrationJournal;

  beforeEach(async () => {
    namespace = await createTestNamespace("journal");
    pool = await connectToMysql(namespace.mysqlUrl);
    namespace.defer(() => pool.end());
    await migrateSchema(pool, createLogger("test", "silent"), MIGRATION_SCHEMA_MIGRATIONS);
    journal = new MigrationJournal(pool);
  });
  afterEach(async () => {
    await namespace.dispose();
  });

  const record = (id: string, fencingToken: number, idempotencyKey = `key-${id}`): MigrationRecord => ({
    id,
    idempotencyKey,
    workloadKey: "shop/checkout",
    source: { satelliteId: "use1", cluster: "c1", namespace: "shop", name: "checkout" },
    target: { satelliteId: "use2", cluster: "c2", cloud: "aws", region: "us-east-2" },
    requestedTarget: "",
    state: "PLANNED",
    plan: create(MigrationPlanSchema, { marginUsd: 1.5, refusalReason: "margin −1 USD → ok" }),
    requestedBy: "test",
    fencingToken,
    stepCount: 1,
    sourceReplicas: null,
    targetReplicasBefore: null,
    targetReplicasGoal: null,
    readyDeadlineMs: null,
    error: null,
    createdAtMs: 1_800_000_000_000,
    updatedAtMs: 1_800_000_000_000,
    finishedAtMs: null,
    steps: [{ sequence: 1, state: "PLANNED", atMs: 1_800_000_000_000, detail: "planned" }],
  });

  it("lets only the newest fencing token advance a saga: a coordinator that lost its lock gets ABORTED", async () => {
    const lock = new WorkloadLock(namespace.redis(), namespace.redisKeyPrefix, 300);
    const first = await lock.acquire("shop/checkout", "m-1");
    if (!("lease" in first)) throw new Error("lock not taken");
    expect(await lock.acquire("shop/checkout", "m-2")).toEqual({
      holder: { token: first.lease.token, migrationId: "m-1" },
    });

    const created = record("m-1", first.lease.token);
    await journal.create(created);
    const owned = await journal.advance(created, "LOCKED", { detail: "locked", patch: { readyDeadlineMs: 1 } }, 2);

    // The owner stalls past its TTL; a recovering coordinator takes the lock and the saga over.
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await lock.renew(first.lease)).toBe(false);
    // The recovering coordinator's lease must outlive the rest of the test on a slow machine.
    const recovering = new WorkloadLock(namespace.redis(), namespace.redisKeyPrefix, 60_000);
    const second = await recovering.acquire("shop/checkout", "m-1", owned.fencingToken);
    if (!("lease" in second)) throw new Error("lock not taken over");
    expect(second.lease.token).toBeGreaterThan(first.lease.token);
    const taken = await journal.takeOver(owned, second.lease.token, "resumed", 3);

    // The stalled owner wakes up and tries to go on: refused, nothing written.
    await expect(journal.advance(owned, "SCALING_UP_TARGET", { detail: "late" }, 4)).rejects.toMatchObject({
      code: "ABORTED",
      message: expect.stringMatching(/moved on without this coordinator .* fencing token/),
    });
    // Nor can it take the saga back with its older token.
    await expect(journal.takeOver(owned, first.lease.token, "again", 5)).rejects.toMatchObject({ code: "ABORTED" });

    const next = await journal.advance(
      taken,
      "SCALING_UP_TARGET",
      { detail: "goal 6", patch: { targetReplicasGoal: 6 } },
      6,
    );
    const stored = await journal.get("m-1");
    expect(stored).toMatchObject({
      state: "SCALING_UP_TARGET",
      fencingToken: second.lease.token,
      stepCount: 4,
      targetReplicasGoal: 6,
      readyDeadlineMs: 1,
    });
    expect(stored?.steps.map((s) => [s.sequence, s.state, s.detail])).toEqual([
      [1, "PLANNED", "planned"],
      [2, "LOCKED", "locked"],
      [3, "LOCKED", "resumed"],
      [4, "SCALING_UP_TARGET", "goal 6"],
    ]);
    expect(stored?.plan.refusalReason).toBe("margin −1 USD → ok");
    expect(next.stepCount).toBe(4);
    await lock.release(first.lease); // not the holder any more: no effect
    expect(await recovering.holder("shop/checkout")).toEqual({ token: second.lease.token, migrationId: "m-1" });
    await recovering.release(second.lease);
    expect(await recovering.holder("shop/checkout")).toBeNull();
  });

  it("never hands out an older fencing token than the journal holds, even after Redis lost its counter", async () => {
    const lock = new WorkloadLock(namespace.redis(), namespace.redisKeyPrefix, 10_000);
    await namespace.redis().del(`${namespace.redisKeyPrefix}migration:fencing-token`);
    const taken = await lock.acquire("shop/cart", "m-9", 41);
    expect("lease" in taken && taken.lease.token).toBe(42);
  });

  it("keeps idempotency keys unique, lists newest first and finds each workload's latest migration", async () => {
    const first = record("m-1", 1, "same");
    await journal.create(first);
    await expect(journal.create(record("m-2", 2, "same"))).rejects.toBeInstanceOf(DuplicateIdempotencyKeyError);
    await journal.advance(first, "FAILED", { detail: "gave up" }, 1_800_000_000_500);
    const second = { ...record("m-3", 3), createdAtMs: 1_800_000_001_000 };
    await journal.create(second);
    await journal.advance(second, "COMPENSATING", { detail: "x", patch: { error: "boom" } }, 1_800_000_002_000);

    expect((await journal.findByIdempotencyKey("same"))?.id).toBe("m-1");
    expect((await journal.list()).map((m) => m.id)).toEqual(["m-3", "m-1"]);
    expect((await journal.list({ activeOnly: true, name: "checkout", limit: 1 })).map((m) => m.id)).toEqual(["m-3"]);
    expect((await journal.listActive()).map((m) => m.id)).toEqual(["m-3"]);
    const latest = await journal.latestPerWorkload(["shop/checkout", "shop/none"]);
    expect([...latest.keys()]).toEqual(["shop/checkout"]);
    expect(latest.get("shop/checkout")).toMatchObject({ id: "m-3", state: "COMPENSATING", error: "boom" });
  });

  it("journals at most one unfinished migration per workload, with no Redis lock at all, even when two replicas race", async () => {
    // No lock taken anywhere: as after the lock expired, Redis was flushed or restarted.
    const running = record("m-1", 7);
    await journal.create(running);
    const refused = journal.create({ ...record("m-2", 8), createdAtMs: 1_800_000_000_100 });
    await expect(refused).rejects.toBeInstanceOf(WorkloadMigrationActiveError);
    await expect(refused).rejects.toMatchObject({
      code: "FAILED_PRECONDITION",
      message: expect.stringContaining("unfinished migration m-1 (PLANNED)"),
      details: { workload: "shop/checkout", migrationId: "m-1" },
    });
    // Another workload is not affected.
    await journal.create({ ...record("m-3", 9), workloadKey: "shop/cart" });

    // Two replicas journal a migration of one idle workload at the same instant: exactly one wins.
    const racing = await Promise.allSettled(
      ["r-1", "r-2", "r-3", "r-4"].map((id) => journal.create({ ...record(id, 10), workloadKey: "shop/payments" })),
    );
    expect(racing.filter((outcome) => outcome.status === "fulfilled")).toHaveLength(1);
    for (const outcome of racing) {
      if (outcome.status === "rejected") expect(outcome.reason).toBeInstanceOf(WorkloadMigrationActiveError);
    }

    // Once the unfinished one ended, the workload may move again.
    const locked = await journal.advance(running, "LOCKED", { detail: "locked" }, 2);
    await expect(journal.create(record("m-4", 11))).rejects.toMatchObject({ code: "FAILED_PRECONDITION" });
    await journal.advance(locked, "COMPENSATED", { detail: "nothing moved" }, 3);
    await journal.create(record("m-5", 12));
    const winner = ["r-1", "r-2", "r-3", "r-4"].filter((_, i) => racing[i]?.status === "fulfilled");
    expect((await journal.listActive()).map((m) => m.id).sort()).toEqual(["m-3", "m-5", ...winner].sort());
    expect(await journal.highestFencingToken()).toBe(12);
  });
});
