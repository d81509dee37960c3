import type { SchemaMigration } from "../infrastructure/schema-migrations.js";

/**
 * Migration saga journal (ids 10–19). Statements are safe to re-run after a crash mid-migration.
 *
 * - `migrations`: one row per saga, its current state and the numbers it needs to resume
 *   (`source_replicas`, `target_replicas_before/goal`, `ready_deadline_at`). `idempotency_key` is
 *   unique: the same key returns the same migration. `fencing_token` is the workload lock's token
 *   of the coordinator that owns the saga; every update is conditional on it. `active_workload_key`
 *   is the workload key while the migration is unfinished and NULL once it ended: its unique key
 *   lets the journal hold at most one unfinished migration per workload, whatever Redis holds.
 * - `migration_steps`: every transition, once per (migration, sequence).
 * - `auto_migration_state`: automatic mode's policy state as JSON, one row (`id = 'auto'`).
 */
export const MIGRATION_SCHEMA_MIGRATIONS: readonly SchemaMigration[] = [
  {
    id: 10,
    name: "migration journal",
    statements: [
      `CREATE TABLE IF NOT EXISTS migrations (
        id CHAR(36) NOT NULL PRIMARY KEY,
        idempotency_key VARCHAR(128) NOT NULL,
        workload_key VARCHAR(320) NOT NULL,
        namespace VARCHAR(63) NOT NULL,
        name VARCHAR(253) NOT NULL,
        source_satellite_id VARCHAR(63) NOT NULL,
        source_cluster VARCHAR(253) NOT NULL,
        target_satellite_id VARCHAR(63) NOT NULL,
        target_cluster VARCHAR(253) NOT NULL,
        target_cloud VARCHAR(16) NOT NULL,
        target_region VARCHAR(64) NOT NULL,
        requested_target VARCHAR(80) NOT NULL,
        state VARCHAR(32) NOT NULL,
        plan_json MEDIUMTEXT NOT NULL,
        requested_by VARCHAR(128) NOT NULL,
        fencing_token BIGINT UNSIGNED NOT NULL,
        step_count INT UNSIGNED NOT NULL,
        source_replicas INT UNSIGNED NULL,
        target_replicas_before INT UNSIGNED NULL,
        target_replicas_goal INT UNSIGNED NULL,
        ready_deadline_at DATETIME(3) NULL,
        error TEXT NULL,
        created_at DATETIME(3) NOT NULL,
        updated_at DATETIME(3) NOT NULL,
        finished_at DATETIME(3) NULL,
        UNIQUE KEY migrations_idempotency_key (idempotency_key),
        KEY migrations_state (state),
        KEY migrations_workload (workload_key, created_at)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
      `CREATE TABLE IF NOT EXISTS migration_steps (
        migration_id CHAR(36) NOT NULL,
        sequence INT UNSIGNED NOT NULL,
        state VARCHAR(32) NOT NULL,
        at DATETIME(3) NOT NULL,
        detail TEXT NOT NULL,
        fencing_token BIGINT UNSIGNED NOT NULL,
        PRIMARY KEY (migration_id, sequence),
        CONSTRAINT migration_steps_migration FOREIGN KEY (migration_id) REFERENCES migrations (id)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
    ],
  },
  {
    id: 11,
    // Retention deletes finished migrations' steps by age, oldest first.
    name: "migration step retention index",
    statements: ["ALTER TABLE migration_steps ADD KEY migration_steps_time (at)"],
    alreadyDoneCodes: ["ER_DUP_KEYNAME"],
  },
  {
    id: 12,
    // One unfinished migration per workload, enforced by MySQL (the Redis lock can expire or be
    // lost); and the highest journalled fencing token at a glance (the floor of new tokens).
    name: "one unfinished migration per workload",
    statements: [
      "ALTER TABLE migrations ADD COLUMN active_workload_key VARCHAR(320) NULL",
      "ALTER TABLE migrations ADD UNIQUE KEY migrations_active_workload (active_workload_key)",
      // Unfinished rows of an older journal; IGNORE skips a second unfinished one of a workload.
      `UPDATE IGNORE migrations SET active_workload_key = workload_key
       WHERE state NOT IN ('DONE', 'COMPENSATED', 'FAILED')`,
      "ALTER TABLE migrations ADD KEY migrations_fencing_token (fencing_token)",
    ],
    alreadyDoneCodes: ["ER_DUP_FIELDNAME", "ER_DUP_KEYNAME"],
  },
  {
    id: 13,
    // Automatic mode's state (sustain clocks, in flight, cool-downs) is durable: a Redis restart or
    // flush must not restart cool-downs or forget migrations in flight.
    name: "automatic-mode state",
    statements: [
      `CREATE TABLE IF NOT EXISTS auto_migration_state (
        id VARCHAR(32) NOT NULL PRIMARY KEY,
        state_json MEDIUMTEXT NOT NULL,
        updated_at DATETIME(3) NOT NULL
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
      // The journal's automatic migrations, unfinished or recently ended (state reconstruction).
      "ALTER TABLE migrations ADD KEY migrations_requested_by (requested_by, finished_at)",
    ],
    alreadyDoneCodes: ["ER_DUP_KEYNAME"],
  },
];
