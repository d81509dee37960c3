/**
 * The MySQL schema, as an append-only list of migrations: applied in order at start-up, each once,
 * recorded in `schema_migrations`. Never edit a shipped migration; add the next one.
 */
export interface SchemaMigration {
  id: number;
  name: string;
  statements: string[];
}

export const SCHEMA_MIGRATIONS: readonly SchemaMigration[] = [
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
];
