import { ESTATE_SCHEMA_MIGRATIONS } from "../estate/estate-schema.js";
import { MIGRATION_SCHEMA_MIGRATIONS } from "../migration/migration-schema.js";
import { ROLLOUT_SCHEMA_MIGRATIONS } from "../rollout/rollout-schema.js";
import { SECURITY_SCHEMA_MIGRATIONS } from "../security/security-schema.js";

/**
 * The MySQL schema, as an append-only list of migrations: applied in order at start-up, each once,
 * recorded in `schema_migrations`. Never edit a shipped migration; add the next one. Each feature
 * owns a range of ids: estate 1–9, migration saga 10–19, rollouts 20–29, security 30–39.
 */
export interface SchemaMigration {
  id: number;
  name: string;
  statements: string[];
  /**
   * MySQL error codes that mean a statement's work is already done (`ER_DUP_KEYNAME` for an
   * `ADD KEY` re-run after a crash between the statement and the migration's record): MySQL has
   * no `ADD KEY IF NOT EXISTS`, so such a statement is re-runnable this way.
   */
  alreadyDoneCodes?: readonly string[];
}

export const SCHEMA_MIGRATIONS: readonly SchemaMigration[] = [
  ...ESTATE_SCHEMA_MIGRATIONS,
  ...MIGRATION_SCHEMA_MIGRATIONS,
  ...ROLLOUT_SCHEMA_MIGRATIONS,
  ...SECURITY_SCHEMA_MIGRATIONS,
].sort((a, b) => a.id - b.id);
