import { createLogger } from "@sentra/common";
import { createTestNamespace, type TestNamespace } from "@sentra/testkit";
import type { Pool } from "mysql2/promise";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MIGRATION_JOURNAL_POOL, MYSQL_POOL } from "../config/coordinator-config.js";
import "reflect-metadata";
import { MigrationModule } from "../migration/migration.module.js";
import { MigrationJournal } from "../migration/migration-journal.js";
import { connectToMysql, JOURNAL_POOL_CONNECTIONS, openMysqlPool, SHARED_POOL_CONNECTIONS } from "./connections.js";
import { type CoordinatorInfrastructure, InfrastructureModule } from "./infrastructure.module.js";
import { migrateSchema } from "./schema-migrator.js";

/** Milliseconds `work` took. */
async function timed(work: () => Promise<unknown>): Promise<number> {
  const startedAt = performance.now();
  await work();
  return performance.now() - startedAt;
}

describe("the saga journal's own MySQL pool (MariaDB)", () => {
  let namespace: TestNamespace;
  let shared: Pool;
  let journalPool: Pool;

  beforeEach(async () => {
    namespace = await createTestNamespace("journal-pool");
    shared = await connectToMysql(namespace.mysqlUrl);
    journalPool = openMysqlPool(namespace.mysqlUrl, JOURNAL_POOL_CONNECTIONS);
    namespace.defer(() => shared.end());
    namespace.defer(() => journalPool.end());
    await migrateSchema(shared, createLogger("test", "silent"));
  });
  afterEach(async () => {
    await namespace.dispose();
  });

  it("journals while every connection of the shared pool is busy", async () => {
    // Every shared connection held for 2 s, as a storm of audit rows or satellite records would.
    const busy = Array.from({ length: SHARED_POOL_CONNECTIONS }, () => shared.query("SELECT SLEEP(2)"));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const onOwnPool = await timed(() => new MigrationJournal(journalPool).listActive());
    const onSharedPool = await timed(() => new MigrationJournal(shared).listActive());
    await Promise.all(busy);
    expect(onOwnPool).toBeLessThan(1_000);
    // What the journal would have waited for on the shared pool: the busy queries' end.
    expect(onSharedPool).toBeGreaterThan(1_000);
  });

  it("is the pool the coordinator's modules inject as the journal's, apart from the shared one", () => {
    const module = InfrastructureModule.register({
      mysql: shared,
      journalMysql: journalPool,
    } as unknown as CoordinatorInfrastructure);
    const provided = new Map(
      (module.providers ?? []).flatMap((provider) =>
        typeof provider === "object" && "useValue" in provider ? [[provider.provide, provider.useValue] as const] : [],
      ),
    );
    expect(provided.get(MIGRATION_JOURNAL_POOL)).toBe(journalPool);
    expect(provided.get(MYSQL_POOL)).toBe(shared);
    expect(module.exports).toContain(MIGRATION_JOURNAL_POOL);
    // And the migration module builds its journal on it.
    const migrationProviders = Reflect.getMetadata("providers", MigrationModule) as Array<{
      provide?: unknown;
      inject?: unknown[];
    }>;
    expect(migrationProviders.find((provider) => provider.provide === MigrationJournal)?.inject).toEqual([
      MIGRATION_JOURNAL_POOL,
    ]);
  });
});
