import type { Logger } from "@sentra/common";
import type { Pool } from "mysql2/promise";
import { SCHEMA_MIGRATIONS, type SchemaMigration } from "./schema-migrations.js";

/** @default "sentra_schema_migrator" — GET_LOCK name, so two coordinators never migrate at once. */
const MIGRATION_LOCK = "sentra_schema_migrator";

/** Applies pending migrations under a MySQL named lock; returns the ids it applied. */
export async function migrateSchema(
  pool: Pool,
  logger: Logger,
  migrations: readonly SchemaMigration[] = SCHEMA_MIGRATIONS,
): Promise<number[]> {
  const connection = await pool.getConnection();
  try {
    const [lockRows] = await connection.query("SELECT GET_LOCK(?, 30) AS locked", [MIGRATION_LOCK]);
    if ((lockRows as Array<{ locked: number }>)[0]?.locked !== 1)
      throw new Error("could not take the schema migration lock in 30 s");
    try {
      await connection.query(
        `CREATE TABLE IF NOT EXISTS schema_migrations (
          id INT NOT NULL PRIMARY KEY, name VARCHAR(128) NOT NULL, applied_at DATETIME(3) NOT NULL
        ) ENGINE=InnoDB`,
      );
      const [rows] = await connection.query("SELECT id FROM schema_migrations");
      const applied = new Set((rows as Array<{ id: number }>).map((row) => row.id));
      const done: number[] = [];
      for (const migration of migrations) {
        if (applied.has(migration.id)) continue;
        // MySQL DDL commits implicitly; each statement is written to be safe to re-run after a crash.
        for (const statement of migration.statements) {
          try {
            await connection.query(statement);
          } catch (error) {
            const code = (error as { code?: string }).code;
            if (code === undefined || !migration.alreadyDoneCodes?.includes(code)) throw error;
          }
        }
        await connection.query("INSERT INTO schema_migrations (id, name, applied_at) VALUES (?, ?, NOW(3))", [
          migration.id,
          migration.name,
        ]);
        logger.info({ migration: migration.id, name: migration.name }, "schema migration applied");
        done.push(migration.id);
      }
      return done;
    } finally {
      await connection.query("SELECT RELEASE_LOCK(?)", [MIGRATION_LOCK]);
    }
  } finally {
    connection.release();
  }
}
