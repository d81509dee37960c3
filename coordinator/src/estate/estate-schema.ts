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
];
