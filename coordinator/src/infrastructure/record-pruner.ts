import type { Pool, PoolConnection, ResultSetHeader } from "mysql2/promise";

/** @default "sentra_record_retention" — MySQL named lock: one replica prunes at a time. */
const PRUNE_LOCK = "sentra_record_retention";
/** @default 1000 — rows deleted per statement: short transactions, no long row locks on a busy table. */
export const DEFAULT_PRUNE_BATCH_ROWS = 1_000;
/** @default 100 — statements per table and run; a larger backlog carries on at the next run. */
const MAX_BATCHES_PER_RUN = 100;

/** Which retention a table's rows follow. */
export type RetentionClass = "history" | "audit";

/** A table whose old rows are pruned: rows with `timeColumn` before the cutoff, oldest first. */
interface PrunedTable {
  table: string;
  timeColumn: string;
  retention: RetentionClass;
  /** More rows that must be kept however old (SQL, no user input). */
  keepUnless?: string;
}

/**
 * What retention deletes (docs/configuration.md, "Retention"). Rollouts and migrations themselves
 * stay (one row per operation); their step, incident and event rows, which grow with every gate
 * evaluation and every event, go. A running migration keeps its steps: it resumes from them.
 */
export const PRUNED_TABLES: readonly PrunedTable[] = [
  { table: "rollout_steps", timeColumn: "at", retention: "history" },
  { table: "incidents", timeColumn: "at", retention: "history" },
  // The de-duplication record of applied events: kept at least as long as the stream keeps events
  // (the configuration refuses a shorter retention), so a replay never re-applies one.
  { table: "satellite_events", timeColumn: "received_at", retention: "history" },
  {
    table: "migration_steps",
    timeColumn: "at",
    retention: "history",
    keepUnless: "migration_id IN (SELECT id FROM migrations WHERE finished_at IS NOT NULL)",
  },
  { table: "audit_log", timeColumn: "at", retention: "audit" },
];

export interface PruneCutoffs {
  /** Rows older than this go; undefined: kept forever. */
  history: Date | undefined;
  audit: Date | undefined;
}

/** Rows deleted per table in one run; `skipped` when another replica held the lock. */
export interface PruneResult {
  skipped: boolean;
  deleted: Record<string, number>;
  /** Tables with rows older than the cutoff left for the next run (the per-run cap was reached). */
  backlog: string[];
}

/** Deletes rows past their retention, in small batches, under a named lock. */
export class RecordPruner {
  constructor(
    private readonly pool: Pool,
    private readonly batchRows = DEFAULT_PRUNE_BATCH_ROWS,
  ) {}

  async prune(cutoffs: PruneCutoffs): Promise<PruneResult> {
    const connection = await this.pool.getConnection();
    try {
      const [lockRows] = await connection.query("SELECT GET_LOCK(?, 0) AS locked", [PRUNE_LOCK]);
      if ((lockRows as Array<{ locked: number | null }>)[0]?.locked !== 1) {
        return { skipped: true, deleted: {}, backlog: [] };
      }
      try {
        const deleted: Record<string, number> = {};
        const backlog: string[] = [];
        for (const table of PRUNED_TABLES) {
          const cutoff = cutoffs[table.retention];
          if (cutoff === undefined) continue;
          const { rows, more } = await this.pruneTable(connection, table, cutoff);
          deleted[table.table] = rows;
          if (more) backlog.push(table.table);
        }
        return { skipped: false, deleted, backlog };
      } finally {
        await connection.query("SELECT RELEASE_LOCK(?)", [PRUNE_LOCK]);
      }
    } finally {
      connection.release();
    }
  }

  private async pruneTable(
    connection: PoolConnection,
    { table, timeColumn, keepUnless }: PrunedTable,
    cutoff: Date,
  ): Promise<{ rows: number; more: boolean }> {
    const where = `${timeColumn} < ?${keepUnless ? ` AND ${keepUnless}` : ""}`;
    const statement = `DELETE FROM ${table} WHERE ${where} ORDER BY ${timeColumn} LIMIT ${this.batchRows}`;
    let rows = 0;
    for (let batch = 0; batch < MAX_BATCHES_PER_RUN; batch++) {
      const [result] = await connection.query<ResultSetHeader>(statement, [cutoff]);
      rows += result.affectedRows;
      if (result.affectedRows < this.batchRows) return { rows, more: false };
    }
    return { rows, more: true };
  }
}
