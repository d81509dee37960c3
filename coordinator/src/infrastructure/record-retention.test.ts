import { createLogger } from "@sentra/common";
import { createTestNamespace, type TestNamespace } from "@sentra/testkit";
import type { Pool } from "mysql2/promise";
import { Registry } from "prom-client";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CoordinatorConfig } from "../config/coordinator-config.js";
import { CoordinatorMetrics } from "../metrics/coordinator-metrics.js";
import { connectToMysql } from "./connections.js";
import { RecordPruner } from "./record-pruner.js";
import { RecordRetentionService } from "./record-retention.service.js";
import { migrateSchema } from "./schema-migrator.js";

const DAY_MS = 86_400_000;
const NOW_MS = Date.UTC(2026, 11, 6, 12, 0, 0);
const daysAgo = (days: number): Date => new Date(NOW_MS - days * DAY_MS);

/** Rows in every pruned table at `at`; `tag` makes their ids unique. */
async function insertRows(pool: Pool, tag: string, at: Date, migrationFinished: boolean): Promise<void> {
  await pool.query(
    `INSERT INTO rollout_steps (rollout_id, sequence, satellite_id, step_index, canary_weight, decision, phase, reason, router, gates, at, event_id)
     VALUES (?, 1, 'sat', 0, 10, 'promote', 'progressing', '', 'sim', '[]', ?, ?)`,
    [`r-${tag}`, at, `e-step-${tag}`],
  );
  await pool.query(
    `INSERT INTO incidents (id, rollout_id, satellite_id, severity, summary, gates, at, event_id)
     VALUES (?, ?, 'sat', 'info', 's', '[]', ?, ?)`,
    [`i-${tag}`, `r-${tag}`, at, `e-incident-${tag}`],
  );
  await pool.query(
    `INSERT INTO satellite_events (event_id, satellite_id, kind, rollout_id, at, stream_seq, received_at)
     VALUES (?, 'sat', 'incident', NULL, ?, 1, ?)`,
    [`e-${tag}`, at, at],
  );
  await pool.query(
    `INSERT INTO migrations (id, idempotency_key, workload_key, namespace, name, source_satellite_id, source_cluster,
       target_satellite_id, target_cluster, target_cloud, target_region, requested_target, state, plan_json,
       requested_by, fencing_token, step_count, created_at, updated_at, finished_at)
     VALUES (?, ?, 'shop/checkout', 'shop', 'checkout', 'a', 'c1', 'b', 'c2', 'aws', 'us-east-2', '', ?, '{}',
       'test', 1, 1, ?, ?, ?)`,
    [`m-${tag}`, `k-${tag}`, migrationFinished ? "COMPLETED" : "SCALING_TARGET", at, at, migrationFinished ? at : null],
  );
  await pool.query(
    "INSERT INTO migration_steps (migration_id, sequence, state, at, detail, fencing_token) VALUES (?, 1, 'PLANNED', ?, '', 1)",
    [`m-${tag}`, at],
  );
  await pool.query(
    `INSERT INTO audit_log (at, principal, role, source, channel, action, target, result, duration_ms)
     VALUES (?, ?, 'admin', '127.0.0.1', 'grpc', 'Test', '', 'OK', 1)`,
    [at, `p-${tag}`],
  );
}

async function count(pool: Pool, sql: string, params: unknown[] = []): Promise<number> {
  const [rows] = await pool.query(`SELECT COUNT(*) AS n FROM ${sql}`, params);
  return Number((rows as Array<{ n: number }>)[0]?.n);
}

describe("record retention (MariaDB)", () => {
  let namespace: TestNamespace;
  let pool: Pool;

  beforeEach(async () => {
    namespace = await createTestNamespace("retention");
    pool = await connectToMysql(namespace.mysqlUrl);
    namespace.defer(() => pool.end());
    await migrateSchema(pool, createLogger("test", "silent"));
  });
  afterEach(async () => {
    await namespace.dispose();
  });

  it("deletes history and audit rows past their own retention, keeps newer ones and a running migration's steps", async () => {
    await insertRows(pool, "old", daysAgo(40), true);
    await insertRows(pool, "old-running", daysAgo(40), false);
    await insertRows(pool, "middle", daysAgo(20), true);
    await insertRows(pool, "new", daysAgo(1), true);
    const registry = new Registry();
    const metrics = new CoordinatorMetrics(registry);
    const config = {
      retention: { historyMs: 30 * DAY_MS, auditMs: 10 * DAY_MS, checkIntervalMs: 3_600_000 },
    } as CoordinatorConfig;
    const service = new RecordRetentionService(pool, metrics, config, createLogger("test", "silent"));

    await service.prune(NOW_MS);

    // History (30 days): the 40-day-old rows go, except the running migration's step.
    expect(await count(pool, "rollout_steps")).toBe(2);
    expect(await count(pool, "rollout_steps WHERE rollout_id IN ('r-old', 'r-old-running')")).toBe(0);
    expect(await count(pool, "incidents")).toBe(2);
    expect(await count(pool, "satellite_events")).toBe(2);
    expect(await count(pool, "migration_steps")).toBe(3);
    expect(await count(pool, "migration_steps WHERE migration_id = 'm-old-running'")).toBe(1);
    // The migrations themselves stay: one row per operation.
    expect(await count(pool, "migrations")).toBe(4);
    // Audit (10 days): only the newest row stays.
    expect(await count(pool, "audit_log")).toBe(1);
    expect(await count(pool, "audit_log WHERE principal = 'p-new'")).toBe(1);

    const pruned = async (table: string): Promise<number> =>
      (await registry.getSingleMetric("sentra_coordinator_records_pruned_total")?.get())?.values.find(
        (value) => value.labels.table === table,
      )?.value ?? 0;
    expect(await pruned("rollout_steps")).toBe(2);
    expect(await pruned("migration_steps")).toBe(1);
    expect(await pruned("audit_log")).toBe(3);

    // A second run finds nothing more to delete.
    await service.prune(NOW_MS);
    expect(await pruned("rollout_steps")).toBe(2);
    expect(await count(pool, "audit_log")).toBe(1);
  });

  it("deletes a backlog in batches, reports what is left past the per-run cap, and skips while another replica prunes", async () => {
    const rows = Array.from({ length: 250 }, (_, i) => [daysAgo(5 + i / 1_000), `p-${i}`]);
    await pool.query(
      "INSERT INTO audit_log (at, principal, role, source, channel, action, target, result, duration_ms) VALUES ?",
      [rows.map(([at, principal]) => [at, principal, "admin", "127.0.0.1", "grpc", "Test", "", "OK", 1])],
    );
    // 2 rows per statement, 100 statements per run: 200 rows now, the other 50 next time.
    const pruner = new RecordPruner(pool, 2);
    const first = await pruner.prune({ history: undefined, audit: daysAgo(1) });
    expect(first).toEqual({ skipped: false, deleted: { audit_log: 200 }, backlog: ["audit_log"] });
    // Oldest first: what is left is the 50 newest (5.000–5.049 days old).
    expect(await count(pool, "audit_log")).toBe(50);
    expect(await count(pool, "audit_log WHERE at < ?", [daysAgo(5.0495)])).toBe(0);

    const other = await pool.getConnection();
    namespace.defer(() => other.release());
    await other.query("SELECT GET_LOCK('sentra_record_retention', 0)");
    expect(await pruner.prune({ history: undefined, audit: daysAgo(1) })).toEqual({
      skipped: true,
      deleted: {},
      backlog: [],
    });
    await other.query("SELECT RELEASE_LOCK('sentra_record_retention')");

    const second = await pruner.prune({ history: undefined, audit: daysAgo(1) });
    expect(second).toEqual({ skipped: false, deleted: { audit_log: 50 }, backlog: [] });
    expect(await count(pool, "audit_log")).toBe(0);
  });

  it("re-runs an index migration whose index a crashed run already added", async () => {
    // As after a crash between the ALTER and the migration's record.
    await pool.query("DELETE FROM schema_migrations WHERE id IN (11, 21)");
    await expect(migrateSchema(pool, createLogger("test", "silent"))).resolves.toEqual([11, 21]);
  });
});
