import type { SchemaMigration } from "../infrastructure/schema-migrations.js";

/**
 * Rollout record tables (ids 20–29). Statements are safe to re-run after a crash mid-migration.
 *
 * - `rollouts`: one release of a service, across one or more waves (origin `satellite` for a
 *   rollout started on a satellite directly, which the coordinator only records).
 * - `rollout_waves`: each satellite-level rollout of a release; `role = 'revert'` rows are the
 *   reverse rollouts that move a promoted wave back to stable. `version_*` orders the reports, so
 *   an older event never overwrites newer state.
 * - `rollout_steps`: every decision with the gate values behind it, once per (rollout, sequence).
 * - `incidents`: once per incident id.
 * - `satellite_events`: every JetStream event applied, once per event id — the de-duplication
 *   record that makes redeliveries and replays harmless.
 */
export const ROLLOUT_SCHEMA_MIGRATIONS: readonly SchemaMigration[] = [
  {
    id: 20,
    name: "rollout record",
    statements: [
      `CREATE TABLE IF NOT EXISTS rollouts (
        id VARCHAR(64) NOT NULL PRIMARY KEY,
        origin ENUM('coordinator', 'satellite') NOT NULL,
        idempotency_key VARCHAR(200) NULL,
        request_hash CHAR(64) NULL,
        service VARCHAR(253) NOT NULL,
        namespace VARCHAR(253) NOT NULL,
        stable_version VARCHAR(128) NOT NULL,
        canary_version VARCHAR(128) NOT NULL,
        strategy VARCHAR(16) NOT NULL,
        phase VARCHAR(16) NOT NULL,
        message VARCHAR(1024) NOT NULL,
        policy_yaml MEDIUMTEXT NOT NULL,
        traffic_router VARCHAR(32) NOT NULL,
        route_name VARCHAR(253) NOT NULL,
        rollback_completed_waves TINYINT(1) NOT NULL,
        current_wave INT NOT NULL,
        abort_requested_at DATETIME(3) NULL,
        abort_reason VARCHAR(1024) NULL,
        abort_actor VARCHAR(128) NULL,
        abort_rollback_completed TINYINT(1) NULL,
        created_by VARCHAR(128) NOT NULL,
        created_at DATETIME(3) NOT NULL,
        updated_at DATETIME(3) NOT NULL,
        UNIQUE KEY uq_rollouts_idempotency_key (idempotency_key),
        KEY ix_rollouts_service (namespace, service, phase),
        KEY ix_rollouts_created (created_at, id),
        KEY ix_rollouts_phase (phase)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
      `CREATE TABLE IF NOT EXISTS rollout_waves (
        id VARCHAR(128) NOT NULL PRIMARY KEY,
        rollout_id VARCHAR(64) NOT NULL,
        wave_index INT NOT NULL,
        role ENUM('wave', 'revert') NOT NULL,
        satellite_id VARCHAR(63) NOT NULL,
        cluster VARCHAR(253) NOT NULL,
        region VARCHAR(64) NOT NULL,
        dispatch VARCHAR(16) NOT NULL,
        dispatch_message VARCHAR(1024) NOT NULL,
        dispatch_since DATETIME(3) NOT NULL,
        attempted_at DATETIME(3) NULL,
        phase VARCHAR(16) NOT NULL,
        step_index INT NOT NULL,
        canary_weight INT NOT NULL,
        rollout_pb MEDIUMBLOB NULL,
        state_json MEDIUMTEXT NULL,
        version_at DATETIME(3) NULL,
        version_sequence INT UNSIGNED NOT NULL,
        version_stream_seq BIGINT UNSIGNED NOT NULL,
        created_at DATETIME(3) NOT NULL,
        updated_at DATETIME(3) NOT NULL,
        UNIQUE KEY uq_rollout_waves_position (rollout_id, wave_index, role),
        KEY ix_rollout_waves_satellite (satellite_id)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
      `CREATE TABLE IF NOT EXISTS rollout_steps (
        id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
        rollout_id VARCHAR(128) NOT NULL,
        sequence INT UNSIGNED NOT NULL,
        satellite_id VARCHAR(63) NOT NULL,
        step_index INT NOT NULL,
        canary_weight INT NOT NULL,
        decision VARCHAR(32) NOT NULL,
        phase VARCHAR(16) NOT NULL,
        reason VARCHAR(2048) NOT NULL,
        router VARCHAR(128) NOT NULL,
        gates JSON NOT NULL,
        at DATETIME(3) NOT NULL,
        event_id VARCHAR(128) NOT NULL,
        UNIQUE KEY uq_rollout_steps_sequence (rollout_id, sequence),
        KEY ix_rollout_steps_at (rollout_id, at)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
      `CREATE TABLE IF NOT EXISTS incidents (
        id VARCHAR(128) NOT NULL PRIMARY KEY,
        rollout_id VARCHAR(128) NOT NULL,
        satellite_id VARCHAR(63) NOT NULL,
        severity VARCHAR(16) NOT NULL,
        summary VARCHAR(2048) NOT NULL,
        gates JSON NOT NULL,
        at DATETIME(3) NOT NULL,
        event_id VARCHAR(128) NOT NULL,
        KEY ix_incidents_rollout (rollout_id, at)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
      `CREATE TABLE IF NOT EXISTS satellite_events (
        event_id VARCHAR(128) NOT NULL PRIMARY KEY,
        satellite_id VARCHAR(63) NOT NULL,
        kind VARCHAR(24) NOT NULL,
        rollout_id VARCHAR(128) NULL,
        at DATETIME(3) NOT NULL,
        stream_seq BIGINT UNSIGNED NOT NULL,
        received_at DATETIME(3) NOT NULL,
        KEY ix_satellite_events_rollout (rollout_id),
        KEY ix_satellite_events_satellite (satellite_id, at)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
    ],
  },
  {
    id: 21,
    // Retention deletes by age, oldest first: each pruned table needs its time alone indexed.
    name: "rollout record retention indexes",
    statements: [
      "ALTER TABLE rollout_steps ADD KEY ix_rollout_steps_time (at)",
      "ALTER TABLE incidents ADD KEY ix_incidents_time (at)",
      "ALTER TABLE satellite_events ADD KEY ix_satellite_events_received (received_at)",
    ],
    alreadyDoneCodes: ["ER_DUP_KEYNAME"],
  },
];
