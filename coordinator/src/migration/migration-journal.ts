import { fromJsonString, toJsonString } from "@bufbuild/protobuf";
import { SentraError } from "@sentra/common";
import { MigrationPlanSchema } from "@sentra/proto";
import type { Pool, PoolConnection, ResultSetHeader, RowDataPacket } from "mysql2/promise";
import type { MigrationRecord, MigrationRecordPatch, MigrationStepRecord } from "./migration-record.js";
import {
  isMigrationStateName,
  isTerminal,
  MIGRATION_STATES,
  type MigrationStateName,
} from "./migration-state-machine.js";

/** Filter of {@link MigrationJournal.list}. */
export interface MigrationListFilter {
  readonly activeOnly?: boolean;
  readonly namespace?: string;
  readonly name?: string;
  /** @default 50 */
  readonly limit?: number;
}

/** @default 50 — migrations listed when the caller names no limit. */
export const DEFAULT_MIGRATION_LIST_LIMIT = 50;
/** @default 500 */
export const MAX_MIGRATION_LIST_LIMIT = 500;

const TERMINAL_STATES = MIGRATION_STATES.filter(isTerminal);

/** Thrown by {@link MigrationJournal.create} when the idempotency key is already journalled. */
export class DuplicateIdempotencyKeyError extends SentraError {
  constructor(idempotencyKey: string, cause: unknown) {
    super("ALREADY_EXISTS", `idempotency key ${JSON.stringify(idempotencyKey)} is already used`, {
      field: "idempotency_key",
      cause,
    });
  }
}

/**
 * Thrown by {@link MigrationJournal.create} when the journal already holds an unfinished migration of
 * the workload: FAILED_PRECONDITION naming it. MySQL's unique key decides, so two coordinator
 * replicas racing (or a Redis lock that expired or was lost) can never journal two.
 */
export class WorkloadMigrationActiveError extends SentraError {
  constructor(
    readonly workloadKey: string,
    readonly activeMigrationId: string,
    activeState: string,
    cause: unknown,
  ) {
    super(
      "FAILED_PRECONDITION",
      `${workloadKey} has an unfinished migration ${activeMigrationId} (${activeState}) in the journal; retry when it has ended`,
      { details: { workload: workloadKey, migrationId: activeMigrationId, state: activeState }, cause },
    );
  }
}

/** The unique key on `active_workload_key` (migration-schema.ts, id 12). */
const ACTIVE_WORKLOAD_KEY = "migrations_active_workload";

/**
 * The saga journal in MySQL (tables `migrations`, `migration_steps`). Every write after creation is
 * conditional on the owner's fencing token and the state it expects, so a coordinator that lost its
 * workload lock (superseded by a newer token) can never advance the saga: it gets ABORTED instead.
 */
export class MigrationJournal {
  constructor(private readonly pool: Pool) {}

  /**
   * Journals a new migration with its first step(s). ALREADY_EXISTS when the key was used before;
   * {@link WorkloadMigrationActiveError} (FAILED_PRECONDITION) while the workload has an unfinished one.
   */
  async create(record: MigrationRecord): Promise<void> {
    let activeConflict: unknown;
    await this.transaction(async (connection) => {
      try {
        await connection.execute(
          `INSERT INTO migrations (id, idempotency_key, workload_key, active_workload_key, namespace, name,
             source_satellite_id, source_cluster, target_satellite_id, target_cluster, target_cloud, target_region,
             requested_target, state, plan_json, requested_by, fencing_token, step_count, source_replicas,
             target_replicas_before, target_replicas_goal, ready_deadline_at, error, created_at, updated_at, finished_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          [
            record.id,
            record.idempotencyKey,
            record.workloadKey,
            isTerminal(record.state) ? null : record.workloadKey,
            record.source.namespace,
            record.source.name,
            record.source.satelliteId,
            record.source.cluster,
            record.target.satelliteId,
            record.target.cluster,
            record.target.cloud,
            record.target.region,
            record.requestedTarget,
            record.state,
            toJsonString(MigrationPlanSchema, record.plan),
            record.requestedBy,
            record.fencingToken,
            record.stepCount,
            record.sourceReplicas,
            record.targetReplicasBefore,
            record.targetReplicasGoal,
            dateOrNull(record.readyDeadlineMs),
            record.error,
            new Date(record.createdAtMs),
            new Date(record.updatedAtMs),
            dateOrNull(record.finishedAtMs),
          ],
        );
      } catch (error) {
        if ((error as { code?: string }).code === "ER_DUP_ENTRY") {
          if (String((error as Error).message).includes(ACTIVE_WORKLOAD_KEY)) {
            activeConflict = error;
            return;
          }
          throw new DuplicateIdempotencyKeyError(record.idempotencyKey, error);
        }
        throw error;
      }
      for (const step of record.steps) await insertStep(connection, record.id, step, record.fencingToken);
    });
    if (activeConflict === undefined) return;
    const [rows] = await this.pool.execute<RowDataPacket[]>(
      "SELECT id, state FROM migrations WHERE active_workload_key = ?",
      [record.workloadKey],
    );
    const active = rows[0];
    throw new WorkloadMigrationActiveError(
      record.workloadKey,
      active === undefined ? "(ended meanwhile)" : String(active.id),
      active === undefined ? "unknown" : String(active.state),
      activeConflict,
    );
  }

  /**
   * The highest fencing token the journal holds (0 when empty): the floor of a new lock's token, so
   * tokens never go backwards even when Redis lost its counter (satellites refuse older ones).
   */
  async highestFencingToken(): Promise<number> {
    const [rows] = await this.pool.query<RowDataPacket[]>("SELECT MAX(fencing_token) AS token FROM migrations");
    return Number(rows[0]?.token ?? 0);
  }

  /**
   * Moves `record` to `to` and journals the step, if and only if the row still has the record's
   * state and fencing token. Returns the new record; ABORTED when the row moved on or the lock was
   * taken over.
   */
  async advance(
    record: MigrationRecord,
    to: MigrationStateName,
    change: { readonly detail: string; readonly patch?: MigrationRecordPatch },
    nowMs: number,
  ): Promise<MigrationRecord> {
    const patch = change.patch ?? {};
    const next: MigrationRecord = {
      ...record,
      ...patch,
      state: to,
      stepCount: record.stepCount + 1,
      updatedAtMs: nowMs,
      finishedAtMs: isTerminal(to) ? nowMs : record.finishedAtMs,
    };
    const step: MigrationStepRecord = { sequence: next.stepCount, state: to, atMs: nowMs, detail: change.detail };
    await this.transaction(async (connection) => {
      const [result] = await connection.execute<ResultSetHeader>(
        `UPDATE migrations SET state = ?, step_count = ?, source_replicas = ?, target_replicas_before = ?,
           target_replicas_goal = ?, ready_deadline_at = ?, error = ?, updated_at = ?, finished_at = ?,
           active_workload_key = CASE WHEN ? THEN NULL ELSE active_workload_key END
         WHERE id = ? AND fencing_token = ? AND state = ? AND step_count = ?`,
        [
          to,
          next.stepCount,
          next.sourceReplicas,
          next.targetReplicasBefore,
          next.targetReplicasGoal,
          dateOrNull(next.readyDeadlineMs),
          next.error,
          new Date(nowMs),
          dateOrNull(next.finishedAtMs),
          isTerminal(to) ? 1 : 0,
          record.id,
          record.fencingToken,
          record.state,
          record.stepCount,
        ],
      );
      if (result.affectedRows !== 1) throw await this.lostOwnership(connection, record);
      await insertStep(connection, record.id, step, record.fencingToken);
    });
    return { ...next, steps: [...record.steps, step] };
  }

  /**
   * Takes over a migration whose owner is gone: sets a newer fencing token (only if it is newer
   * than the journalled one, so an older lock holder can never take it back) and journals a note.
   */
  async takeOver(
    record: MigrationRecord,
    fencingToken: number,
    detail: string,
    nowMs: number,
  ): Promise<MigrationRecord> {
    const next: MigrationRecord = { ...record, fencingToken, stepCount: record.stepCount + 1, updatedAtMs: nowMs };
    const step: MigrationStepRecord = { sequence: next.stepCount, state: record.state, atMs: nowMs, detail };
    await this.transaction(async (connection) => {
      const [result] = await connection.execute<ResultSetHeader>(
        `UPDATE migrations SET fencing_token = ?, step_count = ?, updated_at = ?
         WHERE id = ? AND fencing_token < ? AND state = ? AND step_count = ?`,
        [fencingToken, next.stepCount, new Date(nowMs), record.id, fencingToken, record.state, record.stepCount],
      );
      if (result.affectedRows !== 1) throw await this.lostOwnership(connection, record);
      await insertStep(connection, record.id, step, fencingToken);
    });
    return { ...next, steps: [...record.steps, step] };
  }

  async get(id: string): Promise<MigrationRecord | undefined> {
    const [rows] = await this.pool.execute<RowDataPacket[]>("SELECT * FROM migrations WHERE id = ?", [id]);
    return (await this.withSteps(rows))[0];
  }

  async findByIdempotencyKey(idempotencyKey: string): Promise<MigrationRecord | undefined> {
    const [rows] = await this.pool.execute<RowDataPacket[]>("SELECT * FROM migrations WHERE idempotency_key = ?", [
      idempotencyKey,
    ]);
    return (await this.withSteps(rows))[0];
  }

  /** Newest first. */
  async list(filter: MigrationListFilter = {}): Promise<MigrationRecord[]> {
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (filter.activeOnly) {
      where.push(`state NOT IN (${TERMINAL_STATES.map(() => "?").join(", ")})`);
      params.push(...TERMINAL_STATES);
    }
    if (filter.namespace) {
      where.push("namespace = ?");
      params.push(filter.namespace);
    }
    if (filter.name) {
      where.push("name = ?");
      params.push(filter.name);
    }
    const limit = Math.min(Math.max(1, filter.limit || DEFAULT_MIGRATION_LIST_LIMIT), MAX_MIGRATION_LIST_LIMIT);
    const [rows] = await this.pool.query<RowDataPacket[]>(
      `SELECT * FROM migrations ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""}
       ORDER BY created_at DESC, id LIMIT ${limit}`,
      params,
    );
    return this.withSteps(rows);
  }

  /** Every migration not yet DONE, COMPENSATED or FAILED, oldest first (recovery order). */
  async listActive(): Promise<MigrationRecord[]> {
    const [rows] = await this.pool.query<RowDataPacket[]>(
      `SELECT * FROM migrations WHERE state NOT IN (${TERMINAL_STATES.map(() => "?").join(", ")})
       ORDER BY created_at, id`,
      [...TERMINAL_STATES],
    );
    return this.withSteps(rows);
  }

  /** The newest migration of each workload key given (without steps). */
  async latestPerWorkload(workloadKeys: readonly string[]): Promise<Map<string, MigrationRecord>> {
    const latest = new Map<string, MigrationRecord>();
    if (workloadKeys.length === 0) return latest;
    const [rows] = await this.pool.query<RowDataPacket[]>(
      `SELECT * FROM migrations WHERE workload_key IN (${workloadKeys.map(() => "?").join(", ")})
       ORDER BY created_at DESC, id`,
      [...workloadKeys],
    );
    for (const row of rows) {
      const record = toRecord(row, []);
      if (!latest.has(record.workloadKey)) latest.set(record.workloadKey, record);
    }
    return latest;
  }

  /**
   * The newest migration automatic mode started (`requested_by = 'auto'`) of each workload, among
   * those unfinished or finished at or after `sinceMs` (without steps).
   */
  async latestAutoMigrationsSince(sinceMs: number): Promise<Map<string, MigrationRecord>> {
    const [rows] = await this.pool.query<RowDataPacket[]>(
      `SELECT * FROM migrations WHERE requested_by = 'auto' AND (finished_at IS NULL OR finished_at >= ?)
       ORDER BY created_at DESC, id`,
      [new Date(sinceMs)],
    );
    const latest = new Map<string, MigrationRecord>();
    for (const row of rows) {
      const record = toRecord(row, []);
      if (!latest.has(record.workloadKey)) latest.set(record.workloadKey, record);
    }
    return latest;
  }

  /** Automatic mode's state as saved last (JSON), or undefined before the first save. */
  async loadAutoMigrationState(): Promise<string | undefined> {
    const [rows] = await this.pool.execute<RowDataPacket[]>(
      "SELECT state_json FROM auto_migration_state WHERE id = 'auto'",
    );
    return rows[0] === undefined ? undefined : String(rows[0].state_json);
  }

  async saveAutoMigrationState(stateJson: string, nowMs: number): Promise<void> {
    await this.pool.execute(
      `INSERT INTO auto_migration_state (id, state_json, updated_at) VALUES ('auto', ?, ?)
       ON DUPLICATE KEY UPDATE state_json = VALUES(state_json), updated_at = VALUES(updated_at)`,
      [stateJson, new Date(nowMs)],
    );
  }

  private async withSteps(rows: RowDataPacket[]): Promise<MigrationRecord[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((row) => String(row.id));
    const [stepRows] = await this.pool.query<RowDataPacket[]>(
      `SELECT migration_id, sequence, state, at, detail FROM migration_steps
       WHERE migration_id IN (${ids.map(() => "?").join(", ")}) ORDER BY migration_id, sequence`,
      ids,
    );
    const steps = new Map<string, MigrationStepRecord[]>();
    for (const row of stepRows) {
      const list = steps.get(String(row.migration_id)) ?? [];
      list.push({
        sequence: Number(row.sequence),
        state: stateOf(String(row.state)),
        atMs: (row.at as Date).getTime(),
        detail: String(row.detail),
      });
      steps.set(String(row.migration_id), list);
    }
    return rows.map((row) => toRecord(row, steps.get(String(row.id)) ?? []));
  }

  private async lostOwnership(connection: PoolConnection, record: MigrationRecord): Promise<SentraError> {
    const [rows] = await connection.execute<RowDataPacket[]>(
      "SELECT state, fencing_token, step_count FROM migrations WHERE id = ?",
      [record.id],
    );
    const row = rows[0];
    return new SentraError(
      "ABORTED",
      row === undefined
        ? `migration ${record.id} is not in the journal`
        : `migration ${record.id} moved on without this coordinator (journal: ${row.state}, fencing token ${row.fencing_token}, step ${row.step_count}; expected ${record.state}, token ${record.fencingToken}, step ${record.stepCount}): its workload lock was taken over`,
      { details: { migrationId: record.id, fencingToken: record.fencingToken } },
    );
  }

  private async transaction(work: (connection: PoolConnection) => Promise<void>): Promise<void> {
    const connection = await this.pool.getConnection();
    try {
      await connection.beginTransaction();
      try {
        await work(connection);
        await connection.commit();
      } catch (error) {
        await connection.rollback().catch(() => undefined);
        throw error;
      }
    } finally {
      connection.release();
    }
  }
}

async function insertStep(
  connection: PoolConnection,
  migrationId: string,
  step: MigrationStepRecord,
  fencingToken: number,
): Promise<void> {
  await connection.execute(
    "INSERT INTO migration_steps (migration_id, sequence, state, at, detail, fencing_token) VALUES (?, ?, ?, ?, ?, ?)",
    [migrationId, step.sequence, step.state, new Date(step.atMs), step.detail, fencingToken],
  );
}

function stateOf(value: string): MigrationStateName {
  if (!isMigrationStateName(value)) throw new SentraError("INTERNAL", `journal holds an unknown state ${value}`);
  return value;
}

const msOrNull = (value: unknown): number | null => (value instanceof Date ? value.getTime() : null);
const intOrNull = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));
const dateOrNull = (ms: number | null): Date | null => (ms === null ? null : new Date(ms));

function toRecord(row: RowDataPacket, steps: MigrationStepRecord[]): MigrationRecord {
  return {
    id: String(row.id),
    idempotencyKey: String(row.idempotency_key),
    workloadKey: String(row.workload_key),
    source: {
      satelliteId: String(row.source_satellite_id),
      cluster: String(row.source_cluster),
      namespace: String(row.namespace),
      name: String(row.name),
    },
    target: {
      satelliteId: String(row.target_satellite_id),
      cluster: String(row.target_cluster),
      cloud: String(row.target_cloud),
      region: String(row.target_region),
    },
    requestedTarget: String(row.requested_target),
    state: stateOf(String(row.state)),
    plan: fromJsonString(MigrationPlanSchema, String(row.plan_json)),
    requestedBy: String(row.requested_by),
    fencingToken: Number(row.fencing_token),
    stepCount: Number(row.step_count),
    sourceReplicas: intOrNull(row.source_replicas),
    targetReplicasBefore: intOrNull(row.target_replicas_before),
    targetReplicasGoal: intOrNull(row.target_replicas_goal),
    readyDeadlineMs: msOrNull(row.ready_deadline_at),
    error: row.error === null || row.error === undefined ? null : String(row.error),
    createdAtMs: (row.created_at as Date).getTime(),
    updatedAtMs: (row.updated_at as Date).getTime(),
    finishedAtMs: msOrNull(row.finished_at),
    steps,
  };
}
