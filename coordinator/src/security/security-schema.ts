import type { SchemaMigration } from "../infrastructure/schema-migrations.js";

/** Security tables (ids 30–39): API tokens (hashed) and the audit log. */
export const SECURITY_SCHEMA_MIGRATIONS: readonly SchemaMigration[] = [
  {
    id: 30,
    name: "api_tokens",
    statements: [
      `CREATE TABLE IF NOT EXISTS api_tokens (
        id VARCHAR(32) NOT NULL PRIMARY KEY,
        name VARCHAR(128) NOT NULL,
        role ENUM('viewer', 'operator', 'admin') NOT NULL,
        token_sha256 CHAR(64) NOT NULL,
        created_at DATETIME(3) NOT NULL,
        created_by VARCHAR(128) NOT NULL,
        revoked_at DATETIME(3) NULL,
        last_used_at DATETIME(3) NULL,
        UNIQUE KEY api_tokens_hash (token_sha256)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
    ],
  },
  {
    id: 31,
    name: "audit_log",
    statements: [
      `CREATE TABLE IF NOT EXISTS audit_log (
        id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
        at DATETIME(3) NOT NULL,
        principal VARCHAR(128) NOT NULL,
        role VARCHAR(16) NOT NULL,
        source VARCHAR(255) NOT NULL,
        channel ENUM('grpc', 'rest', 'socket', 'cli') NOT NULL,
        action VARCHAR(128) NOT NULL,
        target TEXT NOT NULL,
        result VARCHAR(32) NOT NULL,
        duration_ms INT NOT NULL,
        KEY audit_log_at (at),
        KEY audit_log_principal (principal, at)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
    ],
  },
];
