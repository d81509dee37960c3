import type { Satellite } from "@sentra/proto";
import { Liveness } from "@sentra/proto";
import type { Pool } from "mysql2/promise";

/** The durable record of satellites in MySQL (Redis holds the hot copy). */
export class SatelliteRecordRepository {
  constructor(private readonly pool: Pool) {}

  /**
   * Records many satellites in one statement (first sight or a changed identity). The liveness
   * written is the one each satellite carries.
   */
  async upsertMany(rows: readonly { satellite: Satellite; lastSeenMs: number }[]): Promise<void> {
    if (rows.length === 0) return;
    const values: unknown[] = [];
    for (const { satellite, lastSeenMs } of rows) {
      const lastSeen = new Date(lastSeenMs);
      values.push(
        satellite.id,
        satellite.region?.cloud ?? "",
        satellite.region?.name ?? "",
        satellite.region?.latitude ?? 0,
        satellite.region?.longitude ?? 0,
        satellite.grpcEndpoint,
        satellite.version,
        livenessColumn(satellite.liveness),
        lastSeen,
        lastSeen,
      );
    }
    // query, not execute: a prepared statement per batch size would fill the server's statement cache.
    await this.pool.query(
      `INSERT INTO satellites (id, cloud, region, latitude, longitude, grpc_endpoint, version, liveness, first_seen_at, last_seen_at, updated_at)
       VALUES ${rows.map(() => "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NOW(3))").join(", ")}
       ON DUPLICATE KEY UPDATE cloud = VALUES(cloud), region = VALUES(region), latitude = VALUES(latitude),
         longitude = VALUES(longitude), grpc_endpoint = VALUES(grpc_endpoint), version = VALUES(version),
         liveness = VALUES(liveness), last_seen_at = VALUES(last_seen_at), updated_at = NOW(3)`,
      values,
    );
  }

  /** Sets the liveness of many satellites in one statement. */
  async markLivenessMany(ids: readonly string[], liveness: Liveness): Promise<void> {
    if (ids.length === 0) return;
    await this.pool.query(
      `UPDATE satellites SET liveness = ?, updated_at = NOW(3) WHERE id IN (${ids.map(() => "?").join(", ")})`,
      [livenessColumn(liveness), ...ids],
    );
  }

  /** Marks satellites retired (forgotten from Redis after the retention time); returns the rows changed. */
  async markRetired(ids: readonly string[], atMs: number): Promise<number> {
    if (ids.length === 0) return 0;
    const [result] = await this.pool.query(
      `UPDATE satellites SET liveness = 'retired', updated_at = ? WHERE id IN (${ids.map(() => "?").join(", ")})`,
      [new Date(atMs), ...ids],
    );
    return (result as { affectedRows?: number }).affectedRows ?? 0;
  }
}

/** The `liveness` column's value for a satellite's liveness. */
function livenessColumn(liveness: Liveness): "live" | "stale" {
  return liveness === Liveness.STALE ? "stale" : "live";
}
