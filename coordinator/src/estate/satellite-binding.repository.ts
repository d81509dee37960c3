import type { Pool, RowDataPacket } from "mysql2/promise";
import type { BindingStatus, SatelliteBinding, SatelliteClaim } from "./satellite-binding.js";

interface BindingRow extends RowDataPacket {
  satellite_id: string;
  cloud: string;
  region: string;
  clusters: string | string[];
  status: BindingStatus;
  bound_by: string;
  updated_at: Date;
}

/** A claim to record for a satellite MySQL may not know yet. */
export interface FirstClaim {
  readonly satelliteId: string;
  readonly claim: SatelliteClaim;
  /** `bound` (admission `first-use`) or `pending` (admission `approval`). */
  readonly status: "bound" | "pending";
}

const COLUMNS = "satellite_id, cloud, region, clusters, status, bound_by, updated_at";
/** @default 500 — satellites in one statement. */
const ROWS_PER_STATEMENT = 500;

/** The satellites' bindings in MySQL, their one owner (replicas hold copies, `SatelliteAdmission`). */
export class SatelliteBindingRepository {
  constructor(private readonly pool: Pool) {}

  /** Every binding, with the database's clock at the read (the watermark of the next `changedSince`). */
  async all(): Promise<{ bindings: SatelliteBinding[]; readAtMs: number }> {
    return this.read(`SELECT ${COLUMNS}, NOW(3) AS read_at FROM satellite_bindings`, []);
  }

  /** Bindings written at or after `sinceMs` (database clock). */
  async changedSince(sinceMs: number): Promise<{ bindings: SatelliteBinding[]; readAtMs: number }> {
    return this.read(`SELECT ${COLUMNS}, NOW(3) AS read_at FROM satellite_bindings WHERE updated_at >= ?`, [
      new Date(sinceMs),
    ]);
  }

  /** Bindings in one status, or all, by satellite id (an admin's list). */
  async list(status?: BindingStatus): Promise<SatelliteBinding[]> {
    const where = status ? "WHERE status = ?" : "";
    const { bindings } = await this.read(
      `SELECT ${COLUMNS}, NOW(3) AS read_at FROM satellite_bindings ${where} ORDER BY satellite_id`,
      status ? [status] : [],
    );
    return bindings;
  }

  async get(satelliteIds: readonly string[]): Promise<SatelliteBinding[]> {
    if (satelliteIds.length === 0) return [];
    const { bindings } = await this.read(
      `SELECT ${COLUMNS}, NOW(3) AS read_at FROM satellite_bindings WHERE satellite_id IN (${satelliteIds.map(() => "?").join(", ")})`,
      [...satelliteIds],
    );
    return bindings;
  }

  /**
   * Records each claim as the satellite's binding where it has none, or where an admin opened its
   * binding (rebind); a satellite already bound or pending keeps what it has. Returns the bindings
   * as they are after the write, so concurrent replicas agree on whichever claim landed first.
   */
  async claim(claims: readonly FirstClaim[]): Promise<SatelliteBinding[]> {
    const result: SatelliteBinding[] = [];
    for (let start = 0; start < claims.length; start += ROWS_PER_STATEMENT) {
      const slice = claims.slice(start, start + ROWS_PER_STATEMENT);
      const values: unknown[] = [];
      for (const { satelliteId, claim, status } of slice) {
        values.push(satelliteId, claim.cloud, claim.region, JSON.stringify(claim.clusters ?? []), status);
      }
      // MySQL assigns left to right and later expressions see earlier assignments: `status` goes
      // last so every IF above it still reads the old status.
      await this.pool.query(
        `INSERT INTO satellite_bindings (satellite_id, cloud, region, clusters, status, bound_by, created_at, updated_at)
         VALUES ${slice.map(() => "(?, ?, ?, ?, ?, 'first-use', NOW(3), NOW(3))").join(", ")}
         ON DUPLICATE KEY UPDATE
           cloud = IF(status = 'open', VALUES(cloud), cloud),
           region = IF(status = 'open', VALUES(region), region),
           clusters = IF(status = 'open', VALUES(clusters), clusters),
           updated_at = IF(status = 'open', NOW(3), updated_at),
           status = IF(status = 'open', 'bound', status)`,
        values,
      );
      result.push(...(await this.get(slice.map((entry) => entry.satelliteId))));
    }
    return result;
  }

  /** A pending satellite approved as it claimed; undefined when it is not pending. */
  async approve(satelliteId: string, by: string): Promise<SatelliteBinding | undefined> {
    const [outcome] = await this.pool.query(
      `UPDATE satellite_bindings SET status = 'bound', bound_by = ?, updated_at = NOW(3)
       WHERE satellite_id = ? AND status = 'pending'`,
      [by, satelliteId],
    );
    if (((outcome as { affectedRows?: number }).affectedRows ?? 0) === 0) return undefined;
    return (await this.get([satelliteId]))[0];
  }

  /** Opens a binding: the satellite's next claim becomes it. Undefined when the id has no binding. */
  async rebind(satelliteId: string, by: string): Promise<SatelliteBinding | undefined> {
    const [outcome] = await this.pool.query(
      `UPDATE satellite_bindings SET status = 'open', bound_by = ?, updated_at = NOW(3) WHERE satellite_id = ?`,
      [by, satelliteId],
    );
    if (((outcome as { affectedRows?: number }).affectedRows ?? 0) === 0) return undefined;
    return (await this.get([satelliteId]))[0];
  }

  private async read(sql: string, params: unknown[]): Promise<{ bindings: SatelliteBinding[]; readAtMs: number }> {
    const [rows] = await this.pool.query<(BindingRow & { read_at: Date })[]>(sql, params);
    const first = rows[0];
    const readAtMs = first ? first.read_at.getTime() : await this.databaseNowMs();
    return { bindings: rows.map(bindingOf), readAtMs };
  }

  private async databaseNowMs(): Promise<number> {
    const [rows] = await this.pool.query<(RowDataPacket & { now: Date })[]>("SELECT NOW(3) AS now");
    return rows[0]?.now.getTime() ?? Date.now();
  }
}

function bindingOf(row: BindingRow): SatelliteBinding {
  // MariaDB's JSON is LONGTEXT (a string here); MySQL's arrives parsed.
  const clusters = typeof row.clusters === "string" ? (JSON.parse(row.clusters) as unknown) : row.clusters;
  return {
    satelliteId: row.satellite_id,
    cloud: row.cloud,
    region: row.region,
    clusters: Array.isArray(clusters) ? clusters.map(String) : [],
    status: row.status,
    boundBy: row.bound_by,
    updatedAtMs: row.updated_at.getTime(),
  };
}
