import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import {
  msOf,
  type Rollout,
  type RolloutDecision,
  RolloutPhase,
  RolloutSchema,
  RolloutStrategy,
  timestampFromMs,
} from "@sentra/proto";
import type { Pool, PoolConnection, ResultSetHeader, RowDataPacket } from "mysql2/promise";
import { isNewerReport, type ReportVersion } from "./report-version.js";
import { type PhaseName, phaseName, TERMINAL_PHASES } from "./rollout-phases.js";
import {
  clip,
  type IncidentRow,
  type SatelliteEventRecord,
  type StepRow,
  type StoredGate,
  type WaveReport,
} from "./satellite-event-record.js";
import type { WaveDispatch } from "./wave-plan.js";

/** A row of `rollouts`. */
export interface RolloutRow {
  id: string;
  origin: "coordinator" | "satellite";
  idempotencyKey: string | null;
  requestHash: string | null;
  service: string;
  namespace: string;
  stableVersion: string;
  canaryVersion: string;
  /** RolloutStrategy name ("CANARY"), "UNSPECIFIED" until a satellite reports it. */
  strategy: string;
  phase: PhaseName;
  message: string;
  policyYaml: string;
  /** TrafficRouterKind name ("GATEWAY_API"), "UNSPECIFIED" for the satellite's default. */
  trafficRouter: string;
  routeName: string;
  rollbackCompletedWaves: boolean;
  currentWave: number;
  abort: { requestedAt: Date; reason: string; actor: string; rollbackCompletedWaves: boolean } | null;
  createdBy: string;
  createdAt: Date;
  updatedAt: Date;
}

/** A row of `rollout_waves`: one satellite-level rollout (a wave, or the reverse rollout of one). */
export interface WaveRow {
  id: string;
  rolloutId: string;
  index: number;
  role: "wave" | "revert";
  satelliteId: string;
  cluster: string;
  region: string;
  dispatch: WaveDispatch;
  dispatchMessage: string;
  dispatchSince: Date;
  attemptedAt: Date | null;
  phase: PhaseName;
  stepIndex: number;
  canaryWeight: number;
  /** The satellite-level rollout as last reported; null before the first report. */
  rollout: Rollout | null;
  stateJson: string | null;
  version: ReportVersion | null;
  createdAt: Date;
  updatedAt: Date;
}

/** A rollout with its waves (by index) and the reverse rollouts of reverted waves (by wave index). */
export interface RolloutAggregate {
  rollout: RolloutRow;
  waves: WaveRow[];
  reverts: Map<number, WaveRow>;
}

/** The outcome of recording one event. */
export type RecordOutcome =
  | { outcome: "persisted"; rolloutId: string | null; applied: boolean }
  | { outcome: "duplicate" }
  | { outcome: "foreign"; owner: string };

export interface RolloutListFilter {
  service?: string;
  namespace?: string;
  activeOnly?: boolean;
  limit: number;
  /** Keyset: rollouts created strictly before this one (newest first). */
  before?: { createdAt: Date; id: string };
}

/** A recorded decision with the satellite that made it. */
export type HistoryStep = StepRow;
export type HistoryIncident = IncidentRow;

class ForeignRollout extends Error {
  constructor(readonly owner: string) {
    super(`rollout belongs to satellite ${owner}`);
  }
}

const TERMINAL_LIST = TERMINAL_PHASES.map((phase) => `'${phase}'`).join(", ");

/**
 * The rollout record in MySQL. Every event is applied in one transaction together with its
 * `satellite_events` row, so an event is applied exactly once however often it is delivered;
 * state columns only move forward (see {@link isNewerReport}).
 */
export class RolloutRepository {
  constructor(private readonly pool: Pool) {}

  /** Records one event: its rows and its effect on the rollout's state, all or nothing. */
  async recordEvent(record: SatelliteEventRecord, receivedAt: Date): Promise<RecordOutcome> {
    try {
      return await this.transaction(async (connection) => {
        const [inserted] = await connection.execute<ResultSetHeader>(
          `INSERT IGNORE INTO satellite_events (event_id, satellite_id, kind, rollout_id, at, stream_seq, received_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)`,
          [record.eventId, record.satelliteId, record.kind, record.rolloutId, record.at, record.streamSeq, receivedAt],
        );
        // A concurrent delivery of the same event waits on the key above, then finds it here.
        if (inserted.affectedRows === 0) return { outcome: "duplicate" };
        if (record.rolloutId) {
          const owner = await this.ownerOf(connection, record.rolloutId);
          if (owner !== null && owner !== record.satelliteId) throw new ForeignRollout(owner);
        }
        let rolloutId: string | null = null;
        let applied = false;
        if (record.report) {
          const result = await this.applyReportIn(connection, record.report, record.stateJson, record.satelliteId);
          rolloutId = result.rolloutId;
          applied = result.applied;
        }
        if (record.step) await insertStep(connection, record.step);
        if (record.incident) await insertIncident(connection, record.incident);
        return { outcome: "persisted", rolloutId, applied };
      });
    } catch (error) {
      if (error instanceof ForeignRollout) return { outcome: "foreign", owner: error.owner };
      throw error;
    }
  }

  /** Applies a satellite's gRPC answer about a wave (same ordering rule as events). */
  async applyAnswer(waveId: string, rollout: Rollout): Promise<boolean> {
    const report: WaveReport = {
      rolloutId: waveId,
      rollout,
      decision: null,
      version: {
        // A satellite answers with its state as of now; without updated_at, now is the best guess.
        atMs: msOf(rollout.updatedAt) || Date.now(),
        sequence: rollout.lastDecision?.sequence ?? 0,
        streamSeq: 0,
      },
    };
    return this.transaction(async (connection) => {
      const [rows] = await connection.query<RowDataPacket[]>("SELECT id FROM rollout_waves WHERE id = ?", [waveId]);
      if (rows.length === 0) return false;
      return (await this.applyReportIn(connection, report, null, null)).applied;
    });
  }

  /**
   * Creates a coordinator rollout and its waves, unless the service already has an active one
   * (returned instead). Throws ER_DUP_ENTRY when the idempotency key was taken meanwhile.
   */
  async createRollout(
    rollout: RolloutRow,
    waves: readonly WaveRow[],
  ): Promise<{ created: true } | { created: false; active: RolloutRow }> {
    return this.transaction(async (connection) => {
      // FOR UPDATE locks the index range too, so two starts of one service cannot both pass.
      const [active] = await connection.query<RowDataPacket[]>(
        `SELECT * FROM rollouts WHERE namespace = ? AND service = ? AND origin = 'coordinator'
           AND phase NOT IN (${TERMINAL_LIST}) LIMIT 1 FOR UPDATE`,
        [rollout.namespace, rollout.service],
      );
      if (active[0]) return { created: false, active: toRolloutRow(active[0]) };
      await connection.execute(
        `INSERT INTO rollouts (id, origin, idempotency_key, request_hash, service, namespace, stable_version,
           canary_version, strategy, phase, message, policy_yaml, traffic_router, route_name,
           rollback_completed_waves, current_wave, created_by, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          rollout.id,
          rollout.origin,
          rollout.idempotencyKey,
          rollout.requestHash,
          rollout.service,
          rollout.namespace,
          rollout.stableVersion,
          rollout.canaryVersion,
          rollout.strategy,
          rollout.phase,
          rollout.message,
          rollout.policyYaml,
          rollout.trafficRouter,
          rollout.routeName,
          rollout.rollbackCompletedWaves ? 1 : 0,
          rollout.currentWave,
          rollout.createdBy,
          rollout.createdAt,
          rollout.updatedAt,
        ],
      );
      for (const wave of waves) await insertWave(connection, wave);
      return { created: true };
    });
  }

  /** Removes a rollout that never started (its first wave was refused), so nothing is half-done. */
  async deleteRollout(id: string): Promise<void> {
    await this.transaction(async (connection) => {
      await connection.execute("DELETE FROM rollout_waves WHERE rollout_id = ?", [id]);
      await connection.execute("DELETE FROM rollouts WHERE id = ?", [id]);
    });
  }

  async findByIdempotencyKey(key: string): Promise<RolloutRow | null> {
    const [rows] = await this.pool.query<RowDataPacket[]>("SELECT * FROM rollouts WHERE idempotency_key = ?", [key]);
    return rows[0] ? toRolloutRow(rows[0]) : null;
  }

  /** A rollout by its id or by the id of one of its waves. */
  async load(id: string): Promise<RolloutAggregate | null> {
    let [rows] = await this.pool.query<RowDataPacket[]>("SELECT * FROM rollouts WHERE id = ?", [id]);
    if (rows.length === 0) {
      [rows] = await this.pool.query<RowDataPacket[]>(
        "SELECT r.* FROM rollouts r JOIN rollout_waves w ON w.rollout_id = r.id WHERE w.id = ?",
        [id],
      );
    }
    const row = rows[0];
    if (!row) return null;
    const rollout = toRolloutRow(row);
    return (await this.withWaves([rollout]))[0] ?? null;
  }

  /** Newest first, with their waves. */
  async list(filter: RolloutListFilter): Promise<RolloutAggregate[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.service) {
      where.push("service = ?");
      params.push(filter.service);
    }
    if (filter.namespace) {
      where.push("namespace = ?");
      params.push(filter.namespace);
    }
    if (filter.activeOnly) where.push(`phase NOT IN (${TERMINAL_LIST})`);
    if (filter.before) {
      where.push("(created_at < ? OR (created_at = ? AND id < ?))");
      params.push(filter.before.createdAt, filter.before.createdAt, filter.before.id);
    }
    const [rows] = await this.pool.query<RowDataPacket[]>(
      `SELECT * FROM rollouts ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
       ORDER BY created_at DESC, id DESC LIMIT ?`,
      [...params, filter.limit],
    );
    return this.withWaves(rows.map(toRolloutRow));
  }

  /** Ids of coordinator rollouts that are not finished: the ones the orchestrator drives. */
  async activeCoordinatorRolloutIds(): Promise<string[]> {
    const [rows] = await this.pool.query<RowDataPacket[]>(
      `SELECT id FROM rollouts WHERE origin = 'coordinator' AND phase NOT IN (${TERMINAL_LIST}) ORDER BY created_at`,
    );
    return rows.map((row) => String(row.id));
  }

  /** Records the plan's view of the rollout; true when something changed. */
  async savePlan(id: string, phase: PhaseName, message: string, currentWave: number): Promise<boolean> {
    const [result] = await this.pool.execute<ResultSetHeader>(
      `UPDATE rollouts SET phase = ?, message = ?, current_wave = ?, updated_at = NOW(3)
       WHERE id = ? AND (phase <> ? OR message <> ? OR current_wave <> ?)`,
      [phase, clip(message, 1024), currentWave, id, phase, clip(message, 1024), currentWave],
    );
    return result.affectedRows > 0;
  }

  /**
   * Moves a wave to a dispatch state (no-op when it is already there, unless `from` is given and
   * does not match); returns whether it moved.
   */
  async setDispatch(
    waveId: string,
    dispatch: WaveDispatch,
    message: string,
    options: { from?: readonly WaveDispatch[]; attempted?: boolean } = {},
  ): Promise<boolean> {
    const guard = options.from?.length ? ` AND dispatch IN (${options.from.map(() => "?").join(", ")})` : "";
    const [result] = await this.pool.execute<ResultSetHeader>(
      `UPDATE rollout_waves SET dispatch = ?, dispatch_message = ?, dispatch_since = NOW(3),
         attempted_at = ${options.attempted ? "NOW(3)" : "attempted_at"}, updated_at = NOW(3)
       WHERE id = ? AND dispatch <> ?${guard}`,
      [dispatch, clip(message, 1024), waveId, dispatch, ...(options.from ?? [])],
    );
    return result.affectedRows > 0;
  }

  /** Notes a satellite call for a wave (and why it failed, if it did), without changing its state. */
  async noteAttempt(waveId: string, message: string): Promise<void> {
    await this.pool.execute(
      "UPDATE rollout_waves SET attempted_at = NOW(3), dispatch_message = ?, updated_at = NOW(3) WHERE id = ?",
      [clip(message, 1024), waveId],
    );
  }

  /** Adds the reverse rollout of a promoted wave (no-op when it exists). */
  async addRevert(wave: WaveRow, revertId: string): Promise<void> {
    const now = new Date();
    await this.transaction(async (connection) =>
      insertWave(
        connection,
        {
          ...wave,
          id: revertId,
          role: "revert",
          dispatch: "starting",
          dispatchMessage: "",
          dispatchSince: now,
          attemptedAt: null,
          phase: "PENDING",
          stepIndex: 0,
          canaryWeight: 0,
          rollout: null,
          stateJson: null,
          version: null,
          createdAt: now,
          updatedAt: now,
        },
        true,
      ),
    );
  }

  /** Records a person's abort; false when the rollout is finished or an abort was already asked. */
  async requestAbort(id: string, reason: string, actor: string, rollbackCompletedWaves: boolean): Promise<boolean> {
    const [result] = await this.pool.execute<ResultSetHeader>(
      `UPDATE rollouts SET abort_requested_at = NOW(3), abort_reason = ?, abort_actor = ?,
         abort_rollback_completed = ?, updated_at = NOW(3)
       WHERE id = ? AND abort_requested_at IS NULL AND phase NOT IN (${TERMINAL_LIST})`,
      [clip(reason, 1024), clip(actor, 128), rollbackCompletedWaves ? 1 : 0, id],
    );
    return result.affectedRows > 0;
  }

  /** Decisions (oldest first, the latest `limit`) and incidents of the given satellite-level rollouts. */
  async history(
    waveIds: readonly string[],
    limit: number,
  ): Promise<{ steps: HistoryStep[]; incidents: HistoryIncident[] }> {
    if (waveIds.length === 0) return { steps: [], incidents: [] };
    const marks = waveIds.map(() => "?").join(", ");
    const [steps] = await this.pool.query<RowDataPacket[]>(
      `SELECT * FROM (SELECT * FROM rollout_steps WHERE rollout_id IN (${marks}) ORDER BY at DESC, id DESC LIMIT ?) s
       ORDER BY at, id`,
      [...waveIds, limit],
    );
    const [incidents] = await this.pool.query<RowDataPacket[]>(
      `SELECT * FROM incidents WHERE rollout_id IN (${marks}) ORDER BY at, id`,
      [...waveIds],
    );
    return {
      steps: steps.map((row) => ({
        rolloutId: String(row.rollout_id),
        sequence: Number(row.sequence),
        satelliteId: String(row.satellite_id),
        stepIndex: Number(row.step_index),
        canaryWeight: Number(row.canary_weight),
        decision: String(row.decision),
        phase: String(row.phase) as PhaseName,
        reason: String(row.reason),
        router: String(row.router),
        gates: parseGates(row.gates),
        at: row.at as Date,
        eventId: String(row.event_id),
      })),
      incidents: incidents.map((row) => ({
        id: String(row.id),
        rolloutId: String(row.rollout_id),
        satelliteId: String(row.satellite_id),
        severity: String(row.severity),
        summary: String(row.summary),
        gates: parseGates(row.gates),
        at: row.at as Date,
        eventId: String(row.event_id),
      })),
    };
  }

  /** Rollouts per phase (for the gauge). */
  async countByPhase(): Promise<Map<PhaseName, number>> {
    const [rows] = await this.pool.query<RowDataPacket[]>("SELECT phase, COUNT(*) AS n FROM rollouts GROUP BY phase");
    return new Map(rows.map((row) => [String(row.phase) as PhaseName, Number(row.n)]));
  }

  private async withWaves(rollouts: RolloutRow[]): Promise<RolloutAggregate[]> {
    if (rollouts.length === 0) return [];
    const [rows] = await this.pool.query<RowDataPacket[]>(
      `SELECT * FROM rollout_waves WHERE rollout_id IN (${rollouts.map(() => "?").join(", ")})
       ORDER BY wave_index, role`,
      rollouts.map((rollout) => rollout.id),
    );
    const byRollout = new Map<string, RolloutAggregate>(
      rollouts.map((rollout) => [rollout.id, { rollout, waves: [], reverts: new Map() }]),
    );
    for (const row of rows) {
      const wave = toWaveRow(row);
      const aggregate = byRollout.get(wave.rolloutId);
      if (!aggregate) continue;
      if (wave.role === "wave") aggregate.waves.push(wave);
      else aggregate.reverts.set(wave.index, wave);
    }
    return rollouts.map((rollout) => byRollout.get(rollout.id) as RolloutAggregate);
  }

  private async ownerOf(connection: PoolConnection, rolloutId: string): Promise<string | null> {
    const [rows] = await connection.query<RowDataPacket[]>("SELECT satellite_id FROM rollout_waves WHERE id = ?", [
      rolloutId,
    ]);
    return rows[0] ? String(rows[0].satellite_id) : null;
  }

  /**
   * Applies what a report says about a satellite-level rollout, if it is newer than what is
   * recorded. A transition about a rollout the coordinator did not start adopts it as a
   * satellite-origin rollout of one wave.
   */
  private async applyReportIn(
    connection: PoolConnection,
    report: WaveReport,
    stateJson: string | null,
    satelliteId: string | null,
  ): Promise<{ rolloutId: string | null; applied: boolean }> {
    const [rows] = await connection.query<RowDataPacket[]>("SELECT * FROM rollout_waves WHERE id = ? FOR UPDATE", [
      report.rolloutId,
    ]);
    const current = rows[0] ? toWaveRow(rows[0]) : null;
    if (current === null) {
      if (!report.rollout || satelliteId === null) return { rolloutId: null, applied: false };
      return this.adopt(connection, report.rollout, report.version, stateJson, satelliteId);
    }
    if (!isNewerReport(report.version, current.version)) return { rolloutId: current.rolloutId, applied: false };
    const rollout = merge(current, report);
    await connection.execute(
      `UPDATE rollout_waves SET phase = ?, step_index = ?, canary_weight = ?, rollout_pb = ?,
         state_json = COALESCE(?, state_json), version_at = ?, version_sequence = ?, version_stream_seq = ?,
         updated_at = NOW(3)
       WHERE id = ?`,
      [
        phaseName(rollout.phase),
        rollout.stepIndex,
        rollout.canaryWeight,
        Buffer.from(toBinary(RolloutSchema, rollout)),
        stateJson,
        new Date(report.version.atMs),
        report.version.sequence,
        report.version.streamSeq,
        current.id,
      ],
    );
    const [parents] = await connection.query<RowDataPacket[]>("SELECT origin FROM rollouts WHERE id = ?", [
      current.rolloutId,
    ]);
    if (parents[0]?.origin === "satellite") {
      // A recorded-only rollout is its one wave: its phase is the wave's.
      await connection.execute("UPDATE rollouts SET phase = ?, message = ?, updated_at = NOW(3) WHERE id = ?", [
        phaseName(rollout.phase),
        clip(rollout.message, 1024),
        current.rolloutId,
      ]);
    }
    if (rollout.strategy !== RolloutStrategy.UNSPECIFIED && current.role === "wave") {
      await connection.execute("UPDATE rollouts SET strategy = ? WHERE id = ? AND strategy = 'UNSPECIFIED'", [
        RolloutStrategy[rollout.strategy],
        current.rolloutId,
      ]);
    }
    return { rolloutId: current.rolloutId, applied: true };
  }

  private async adopt(
    connection: PoolConnection,
    rollout: Rollout,
    version: ReportVersion,
    stateJson: string | null,
    satelliteId: string,
  ): Promise<{ rolloutId: string | null; applied: boolean }> {
    const [existing] = await connection.query<RowDataPacket[]>("SELECT origin FROM rollouts WHERE id = ?", [
      rollout.id,
    ]);
    // Never attach a satellite's rollout to a coordinator rollout that happens to share its id.
    if (existing[0]) return { rolloutId: null, applied: false };
    const at = new Date(version.atMs || Date.now());
    const phase = phaseName(rollout.phase);
    await connection.execute(
      `INSERT INTO rollouts (id, origin, idempotency_key, request_hash, service, namespace, stable_version,
         canary_version, strategy, phase, message, policy_yaml, traffic_router, route_name,
         rollback_completed_waves, current_wave, created_by, created_at, updated_at)
       VALUES (?, 'satellite', NULL, NULL, ?, ?, ?, ?, ?, ?, ?, '', ?, '', 0, 0, ?, ?, NOW(3))`,
      [
        rollout.id,
        clip(rollout.service, 253),
        clip(rollout.namespace, 253),
        clip(rollout.stableVersion, 128),
        clip(rollout.canaryVersion, 128),
        RolloutStrategy[rollout.strategy] ?? "UNSPECIFIED",
        phase,
        clip(rollout.message, 1024),
        clip(rollout.trafficRouter, 32),
        `satellite:${satelliteId}`,
        rollout.startedAt ? new Date(msOf(rollout.startedAt)) : at,
      ],
    );
    const now = new Date();
    await insertWave(connection, {
      id: rollout.id,
      rolloutId: rollout.id,
      index: 0,
      role: "wave",
      satelliteId,
      cluster: rollout.cluster,
      region: "",
      dispatch: "started",
      dispatchMessage: "",
      dispatchSince: now,
      attemptedAt: null,
      phase,
      stepIndex: rollout.stepIndex,
      canaryWeight: rollout.canaryWeight,
      rollout,
      stateJson,
      version,
      createdAt: now,
      updatedAt: now,
    });
    return { rolloutId: rollout.id, applied: true };
  }

  private async transaction<T>(work: (connection: PoolConnection) => Promise<T>): Promise<T> {
    const connection = await this.pool.getConnection();
    try {
      await connection.beginTransaction();
      try {
        const result = await work(connection);
        await connection.commit();
        return result;
      } catch (error) {
        await connection.rollback().catch(() => undefined);
        throw error;
      }
    } finally {
      connection.release();
    }
  }
}

/** The recorded rollout with a report applied: a transition replaces it, a decision patches it. */
function merge(current: WaveRow, report: WaveReport): Rollout {
  if (report.rollout) {
    const next = create(RolloutSchema, report.rollout);
    // The satellite may leave these out; what the coordinator knows stays.
    next.parentId ||= current.rollout?.parentId ?? "";
    next.satelliteId ||= current.satelliteId;
    return next;
  }
  const next = current.rollout ? create(RolloutSchema, current.rollout) : create(RolloutSchema, { id: current.id });
  const decision = report.decision as RolloutDecision;
  if (decision.phase !== RolloutPhase.UNSPECIFIED) next.phase = decision.phase;
  next.stepIndex = decision.stepIndex;
  next.canaryWeight = decision.canaryWeight;
  next.lastDecision = decision;
  next.updatedAt = timestampFromMs(report.version.atMs);
  if (decision.reason) next.message = decision.reason;
  return next;
}

async function insertWave(connection: PoolConnection, wave: WaveRow, ignore = false): Promise<void> {
  await connection.execute(
    `INSERT ${ignore ? "IGNORE " : ""}INTO rollout_waves (id, rollout_id, wave_index, role, satellite_id, cluster,
       region, dispatch, dispatch_message, dispatch_since, attempted_at, phase, step_index, canary_weight,
       rollout_pb, state_json, version_at, version_sequence, version_stream_seq, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      wave.id,
      wave.rolloutId,
      wave.index,
      wave.role,
      wave.satelliteId,
      clip(wave.cluster, 253),
      clip(wave.region, 64),
      wave.dispatch,
      clip(wave.dispatchMessage, 1024),
      wave.dispatchSince,
      wave.attemptedAt,
      wave.phase,
      wave.stepIndex,
      wave.canaryWeight,
      wave.rollout ? Buffer.from(toBinary(RolloutSchema, wave.rollout)) : null,
      wave.stateJson,
      wave.version ? new Date(wave.version.atMs) : null,
      wave.version?.sequence ?? 0,
      wave.version?.streamSeq ?? 0,
      wave.createdAt,
      wave.updatedAt,
    ],
  );
}

async function insertStep(connection: PoolConnection, step: StepRow): Promise<void> {
  await connection.execute(
    `INSERT IGNORE INTO rollout_steps (rollout_id, sequence, satellite_id, step_index, canary_weight, decision,
       phase, reason, router, gates, at, event_id)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      step.rolloutId,
      step.sequence,
      step.satelliteId,
      step.stepIndex,
      step.canaryWeight,
      step.decision,
      step.phase,
      step.reason,
      step.router,
      JSON.stringify(step.gates),
      step.at,
      step.eventId,
    ],
  );
}

async function insertIncident(connection: PoolConnection, incident: IncidentRow): Promise<void> {
  await connection.execute(
    `INSERT IGNORE INTO incidents (id, rollout_id, satellite_id, severity, summary, gates, at, event_id)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      incident.id,
      incident.rolloutId,
      incident.satelliteId,
      incident.severity,
      incident.summary,
      JSON.stringify(incident.gates),
      incident.at,
      incident.eventId,
    ],
  );
}

function parseGates(value: unknown): StoredGate[] {
  // MariaDB returns JSON columns as text; MySQL returns them parsed.
  const parsed = typeof value === "string" ? JSON.parse(value) : value;
  return Array.isArray(parsed) ? (parsed as StoredGate[]) : [];
}

function toRolloutRow(row: RowDataPacket): RolloutRow {
  return {
    id: String(row.id),
    origin: row.origin as RolloutRow["origin"],
    idempotencyKey: row.idempotency_key === null ? null : String(row.idempotency_key),
    requestHash: row.request_hash === null ? null : String(row.request_hash),
    service: String(row.service),
    namespace: String(row.namespace),
    stableVersion: String(row.stable_version),
    canaryVersion: String(row.canary_version),
    strategy: String(row.strategy),
    phase: String(row.phase) as PhaseName,
    message: String(row.message),
    policyYaml: String(row.policy_yaml),
    trafficRouter: String(row.traffic_router),
    routeName: String(row.route_name),
    rollbackCompletedWaves: Number(row.rollback_completed_waves) === 1,
    currentWave: Number(row.current_wave),
    abort:
      row.abort_requested_at === null
        ? null
        : {
            requestedAt: row.abort_requested_at as Date,
            reason: String(row.abort_reason ?? ""),
            actor: String(row.abort_actor ?? ""),
            rollbackCompletedWaves: Number(row.abort_rollback_completed) === 1,
          },
    createdBy: String(row.created_by),
    createdAt: row.created_at as Date,
    updatedAt: row.updated_at as Date,
  };
}

function toWaveRow(row: RowDataPacket): WaveRow {
  return {
    id: String(row.id),
    rolloutId: String(row.rollout_id),
    index: Number(row.wave_index),
    role: row.role as WaveRow["role"],
    satelliteId: String(row.satellite_id),
    cluster: String(row.cluster),
    region: String(row.region),
    dispatch: String(row.dispatch) as WaveDispatch,
    dispatchMessage: String(row.dispatch_message),
    dispatchSince: row.dispatch_since as Date,
    attemptedAt: (row.attempted_at as Date | null) ?? null,
    phase: String(row.phase) as PhaseName,
    stepIndex: Number(row.step_index),
    canaryWeight: Number(row.canary_weight),
    rollout: row.rollout_pb ? fromBinary(RolloutSchema, row.rollout_pb as Buffer) : null,
    stateJson: row.state_json === null ? null : String(row.state_json),
    version:
      row.version_at === null
        ? null
        : {
            atMs: (row.version_at as Date).getTime(),
            sequence: Number(row.version_sequence),
            streamSeq: Number(row.version_stream_seq),
          },
    createdAt: row.created_at as Date,
    updatedAt: row.updated_at as Date,
  };
}
