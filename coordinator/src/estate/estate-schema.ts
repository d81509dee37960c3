import type { SchemaMigration } from "../infrastructure/schema-migrations.js";

/** Estate tables (ids 1–9). Statements are safe to re-run after a crash mid-migration. */
export const ESTATE_SCHEMA_MIGRATIONS: readonly SchemaMigration[] = [
  {
    id: 1,
    name: "satellites",
    statements: [
      `CREATE TABLE IF NOT EXISTS satellites (
        id VARCHAR(63) NOT NULL PRIMARY KEY,
        cloud VARCHAR(16) NOT NULL,
        region VARCHAR(64) NOT NULL,
        latitude DOUBLE NOT NULL,
        longitude DOUBLE NOT NULL,
        grpc_endpoint VARCHAR(255) NOT NULL,
        version VARCHAR(64) NOT NULL,
        liveness ENUM('live', 'stale') NOT NULL,
        first_seen_at DATETIME(3) NOT NULL,
        last_seen_at DATETIME(3) NOT NULL,
        updated_at DATETIME(3) NOT NULL
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
    ],
  },
  {
    id: 2,
    // Retention: a satellite forgotten from Redis stays in the record, as retired (a returning
    // one becomes live again).
    name: "satellites-retired",
    statements: ["ALTER TABLE satellites MODIFY liveness ENUM('live', 'stale', 'retired') NOT NULL"],
  },
  {
    id: 3,
    // Each satellite id is bound to the cloud, region and clusters it may speak for (issue 14):
    // `bound` enforced, `pending` awaiting an admin's approval, `open` taking its next claim
    // (after an admin's rebind). MySQL is the one owner; replicas keep a copy in memory.
    name: "satellite-bindings",
    statements: [
      `CREATE TABLE IF NOT EXISTS satellite_bindings (
        satellite_id VARCHAR(63) NOT NULL PRIMARY KEY,
        cloud VARCHAR(16) NOT NULL,
        region VARCHAR(64) NOT NULL,
        clusters JSON NOT NULL,
        status ENUM('bound', 'pending', 'open') NOT NULL,
        bound_by VARCHAR(128) NOT NULL,
        created_at DATETIME(3) NOT NULL,
        updated_at DATETIME(3) NOT NULL,
        KEY satellite_bindings_updated (updated_at)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
      // Satellites recorded before bindings existed are not made to wait for approval on upgrade:
      // each is open, so its next heartbeat binds it (cloud, region and its clusters).
      `INSERT IGNORE INTO satellite_bindings (satellite_id, cloud, region, clusters, status, bound_by, created_at, updated_at)
       SELECT id, cloud, region, '[]', 'open', 'upgrade', NOW(3), NOW(3) FROM satellites WHERE liveness <> 'retired'`,
    ],
  },
];
