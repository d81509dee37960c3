import type { Satellite } from "@sentra/proto";
import { Liveness } from "@sentra/proto";
import type { Pool } from "mysql2/promise";

/** The durable record of satellites in MySQL (Redis holds the hot copy). */
export class SatelliteRecordRepository {
  constructor(private readonly pool: Pool) {}

  async upsert(satellite: Satellite, lastSeenMs: number): Promise<void> {
    const lastSeen = new Date(lastSeenMs);
    await this.pool.execute(
      `INSERT INTO satellites (id, cloud, region, latitude, longitude, grpc_endpoint, version, liveness, first_seen_at, last_seen_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NOW(3))
       ON DUPLICATE KEY UPDATE cloud = VALUES(cloud), region = VALUES(region), latitude = VALUES(latitude),
         longitude = VALUES(longitude), grpc_endpoint = VALUES(grpc_endpoint), version = VALUES(version),
         liveness = VALUES(liveness), last_seen_at = VALUES(last_seen_at), updated_at = NOW(3)`,
      [
        satellite.id,
        satellite.region?.cloud ?? "",
        satellite.region?.name ?? "",
        satellite.region?.latitude ?? 0,
        satellite.region?.longitude ?? 0,
        satellite.grpcEndpoint,
        satellite.version,
        satellite.liveness === Liveness.STALE ? "stale" : "live",
        lastSeen,
        lastSeen,
      ],
    );
  }

  async markLiveness(id: string, liveness: Liveness): Promise<void> {
    await this.pool.execute("UPDATE satellites SET liveness = ?, updated_at = NOW(3) WHERE id = ?", [
      liveness === Liveness.STALE ? "stale" : "live",
      id,
    ]);
  }
}
