import { resolve } from "node:path";
import {
  checkGrpcTlsEnvironment,
  GRPC_TLS_ENVIRONMENT,
  type GrpcTlsSettings,
  grpcTlsSettingsOf,
  parseConfig,
} from "@sentra/common";
import { DEFAULT_EVENT_STREAM_MAX_AGE_MS, DEFAULT_EVENT_STREAM_MAX_BYTES } from "@sentra/proto";
import { z } from "zod";
import { DEFAULT_PRICE_TTL_MS } from "../arbitrage/arbitrage-options.js";
import type { EgressPriceRule } from "../arbitrage/egress-price-table.js";
import {
  DEFAULT_DASHBOARD_DELTA_INTERVAL_MS,
  DEFAULT_DASHBOARD_MAX_LOOP_UTILIZATION,
  defaultDashboardDir,
  MAX_DASHBOARD_DELTA_INTERVAL_MS,
} from "../dashboard/dashboard-defaults.js";
import {
  API_TOKEN_PATTERN,
  DEFAULT_ADMIN_TOKEN_FILE,
  DEFAULT_MAX_STREAMS_PER_TOKEN,
  DEFAULT_MUTATION_RATE_LIMIT_PER_MINUTE,
  DEFAULT_TOKEN_RECHECK_INTERVAL_MS,
  REFUSAL_BURST_PER_SOURCE,
} from "../security/security-defaults.js";
import {
  API_TLS_ENVIRONMENT,
  type ApiTlsSettings,
  apiTlsSettingsOf,
  checkApiTlsEnvironment,
} from "./api-tls-settings.js";

/** How new satellite ids are admitted; see `CoordinatorConfig.ingest.admission`. */
export const SATELLITE_ADMISSION_MODES = ["first-use", "approval"] as const;
export type SatelliteAdmissionMode = (typeof SATELLITE_ADMISSION_MODES)[number];

/** @default 3 — heartbeats a satellite may miss before it is stale. */
export const MISSED_HEARTBEATS_BEFORE_STALE = 3;
/** The price TTL's one definition lives with the arbitrage that judges staleness. */
export { DEFAULT_PRICE_TTL_MS };
/** @default 5000 */
export const DEFAULT_INVENTORY_SYNC_INTERVAL_MS = 5_000;
/** @default 1048576 — no satellite message may be larger, whatever its subject (nats-server's own default max_payload). */
export const DEFAULT_MAX_MESSAGE_BYTES = 1_048_576;
/**
 * Per-subject limits, checked before decoding: larger messages are dropped and counted
 * (`reason="oversized"`). Far above what a satellite sends (a heartbeat ~0.2–2 KiB, a price
 * snapshot ~5–30 KiB, an event ~2–20 KiB) and far below max_payload, so a hostile satellite
 * cannot make the coordinator decode megabytes per message.
 * @default 65536 / 262144 / 262144
 */
export const DEFAULT_MAX_PAYLOAD_BYTES = { health: 65_536, price: 262_144, event: 262_144 } as const;

/** @default "sentra-coordinator-ingest" — NATS queue group through which replicas share satellite ingest. */
export const DEFAULT_INGEST_QUEUE_GROUP = "sentra-coordinator-ingest";
/** @default 2 — ingest batches applied at once per kind (each satellite always in the same lane). */
export const DEFAULT_INGEST_LANES = 2;
/** @default 1000 — satellites in one ingest batch. */
export const DEFAULT_INGEST_MAX_BATCH = 1_000;
/** @default 2 — how long the first message of a batch waits for others, in ms. */
export const DEFAULT_INGEST_BATCH_WINDOW_MS = 2;
/**
 * @default 20 — messages one satellite may send per second on each of its subjects, sustained
 * (bursts of twice that): a satellite heartbeating at the fastest allowed interval (50 ms). More
 * is dropped before decoding (`reason="rate_limited"`), so a flood costs others nothing.
 */
export const DEFAULT_INGEST_SATELLITE_RATE_PER_S = 20;
/** @default 604800 — a satellite not seen for this long (seconds, 7 days) is forgotten from Redis and retired in MySQL. */
export const DEFAULT_SATELLITE_RETENTION_S = 604_800;
/** @default 90 — rollout steps, incidents, applied-event records and finished migrations' steps older than this (days) are deleted. */
export const DEFAULT_HISTORY_RETENTION_DAYS = 90;
/** @default 365 — audit log rows older than this (days) are deleted. */
export const DEFAULT_AUDIT_RETENTION_DAYS = 365;
/** @default 3600 — how often (seconds) rows past their retention are looked for. */
export const DEFAULT_RETENTION_CHECK_INTERVAL_S = 3_600;

/** @default 2000 — how often the rollout orchestrator (leader) re-plans every active rollout. */
export const DEFAULT_ROLLOUT_RECONCILE_INTERVAL_MS = 2_000;
/** @default 300000 — a wave (or revert) its satellite has not accepted within this long fails the rollout. */
export const DEFAULT_ROLLOUT_DISPATCH_TIMEOUT_MS = 300_000;
/** @default 5000 — how often running waves are also read from their satellites over gRPC. */
export const DEFAULT_ROLLOUT_POLL_INTERVAL_MS = 5_000;
/** @default 10000 — TTL of the rollout orchestrator's leader lease in Redis, renewed every third of it. */
export const DEFAULT_ROLLOUT_LEADER_LEASE_MS = 10_000;
/** @default 168 — events older than this (hours) leave the JetStream event stream, consumed or not. */
export const DEFAULT_EVENT_STREAM_MAX_AGE_HOURS = DEFAULT_EVENT_STREAM_MAX_AGE_MS / 3_600_000;

/** @default 5000 — how often arbitrage opportunities are recomputed (and auto mode decides). */
export const DEFAULT_ARBITRAGE_INTERVAL_MS = 5_000;
/** @default 300000 — the target must be ready this long after the workload was locked, or the saga compensates. */
export const DEFAULT_MIGRATION_READY_TIMEOUT_MS = 300_000;
/** @default 120000 — how long the saga retries scaling the source down (or compensating) while a satellite is unreachable. */
export const DEFAULT_MIGRATION_STEP_TIMEOUT_MS = 120_000;
/** @default 3000 — deadline of each gRPC call the saga makes to a satellite. */
export const DEFAULT_MIGRATION_CALL_TIMEOUT_MS = 3_000;
/** @default 1000 — longest pause between two readiness polls (polling starts at 25 ms and doubles). */
export const DEFAULT_MIGRATION_POLL_INTERVAL_MS = 1_000;
/** Pause before the second readiness read that confirms a ready target, ms. */
export const DEFAULT_MIGRATION_READY_CONFIRM_DELAY_MS = 2_000;
/** @default 15000 — TTL of a workload lock; the running saga renews it every third of it. */
export const DEFAULT_MIGRATION_LOCK_TTL_MS = 15_000;
/** @default 10000 — how often the journal is scanned for sagas nobody runs (crashed coordinator). */
export const DEFAULT_MIGRATION_RECOVERY_INTERVAL_MS = 10_000;
/** @default 15000 — TTL of the automatic-mode leader lease, renewed at every decision. */
export const DEFAULT_AUTO_LEADER_LEASE_MS = 15_000;

/**
 * Fault-injection points of the migration saga (`SENTRA_TEST_CRASH_AT_STEP`, tests only): every
 * `SagaCheckpoint` — each journalled state, terminal ones included (a crash after the end must not
 * resume anything), and the two "command accepted" points.
 */
export const MIGRATION_CRASH_POINTS = [
  "PLANNED",
  "LOCKED",
  "SCALING_UP_TARGET",
  "TARGET_SCALE_SENT",
  "TARGET_READY",
  "SCALING_DOWN_SOURCE",
  "SOURCE_SCALE_SENT",
  "DONE",
  "COMPENSATING",
  "COMPENSATED",
  "FAILED",
] as const;

const port = z.coerce.number().int().min(0).max(65_535);

/** One egress price rule from configuration (`SENTRA_EGRESS_PRICE_OVERRIDES`, a JSON array). */
const egressOverrideRule = z.object({
  from: z.array(z.string().min(1)).min(1),
  to: z.array(z.string().min(1)).min(1),
  usdPerGb: z.number().min(0),
  kind: z.enum(["inter_region", "cross_cloud", "fallback"]),
  source: z.object({ id: z.string().min(1), url: z.string(), captured: z.string(), licence: z.string() }),
  note: z.string().optional(),
});

const schema = z.object({
  NATS_URL: z.string().default("nats://127.0.0.1:4222"),
  SENTRA_NATS_NKEY_SEED_FILE: z.string().min(1).optional(),
  SENTRA_NATS_CREDS_FILE: z.string().min(1).optional(),
  REDIS_URL: z.string().default("redis://127.0.0.1:6379"),
  MYSQL_URL: z
    .string()
    .refine(
      (value) => URL.canParse(value) && new URL(value).pathname.length > 1,
      "must be mysql://user:pass@host:port/database",
    )
    .default("mysql://root@127.0.0.1:3306/sentra"),
  SENTRA_SUBJECT_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]*$/, "one subject token")
    .default(""),
  SENTRA_REDIS_PREFIX: z.string().default("sentra:"),
  SENTRA_GRPC_HOST: z.string().default("127.0.0.1"),
  SENTRA_GRPC_PORT: port.default(50051),
  // --- mTLS to the satellites (docs/security.md) ---
  ...GRPC_TLS_ENVIRONMENT,
  SENTRA_HTTP_HOST: z.string().default("127.0.0.1"),
  SENTRA_HTTP_PORT: port.default(3000),
  // --- TLS of the API: gRPC CoordinatorService and the HTTP server (docs/security.md) ---
  ...API_TLS_ENVIRONMENT,
  SENTRA_PRICE_TTL_MS: z.coerce.number().int().min(100).default(DEFAULT_PRICE_TTL_MS),
  SENTRA_INVENTORY_SYNC_INTERVAL_MS: z.coerce.number().int().min(100).default(DEFAULT_INVENTORY_SYNC_INTERVAL_MS),
  SENTRA_MAX_MESSAGE_BYTES: z.coerce.number().int().min(1_024).default(DEFAULT_MAX_MESSAGE_BYTES),
  SENTRA_MAX_HEALTH_BYTES: z.coerce.number().int().min(1_024).default(DEFAULT_MAX_PAYLOAD_BYTES.health),
  SENTRA_MAX_PRICE_BYTES: z.coerce.number().int().min(1_024).default(DEFAULT_MAX_PAYLOAD_BYTES.price),
  SENTRA_MAX_EVENT_BYTES: z.coerce.number().int().min(1_024).default(DEFAULT_MAX_PAYLOAD_BYTES.event),
  SENTRA_LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
  // --- arbitrage and migrations ---
  SENTRA_ARBITRAGE_INTERVAL_MS: z.coerce.number().int().min(50).default(DEFAULT_ARBITRAGE_INTERVAL_MS),
  SENTRA_ARBITRAGE_MIN_MARGIN_USD: z.coerce.number().finite().default(0),
  SENTRA_ARBITRAGE_DEFAULT_STATE_GB: z.coerce.number().min(0).default(10),
  SENTRA_ARBITRAGE_READINESS_ESTIMATE_S: z.coerce.number().min(0).default(300),
  SENTRA_ARBITRAGE_HORIZON_HOURS: z.coerce.number().positive().default(24),
  SENTRA_EGRESS_PRICE_OVERRIDES: z
    .string()
    .optional()
    .transform((value, context) => {
      if (value === undefined || value.trim() === "") return [];
      try {
        return JSON.parse(value) as unknown;
      } catch (error) {
        context.addIssue({ code: "custom", message: `not JSON: ${(error as Error).message}` });
        return z.NEVER;
      }
    })
    .pipe(z.array(egressOverrideRule)),
  SENTRA_MIGRATION_READY_TIMEOUT_MS: z.coerce.number().int().min(100).default(DEFAULT_MIGRATION_READY_TIMEOUT_MS),
  SENTRA_MIGRATION_STEP_TIMEOUT_MS: z.coerce.number().int().min(100).default(DEFAULT_MIGRATION_STEP_TIMEOUT_MS),
  SENTRA_MIGRATION_CALL_TIMEOUT_MS: z.coerce.number().int().min(50).default(DEFAULT_MIGRATION_CALL_TIMEOUT_MS),
  SENTRA_MIGRATION_POLL_INTERVAL_MS: z.coerce.number().int().min(10).default(DEFAULT_MIGRATION_POLL_INTERVAL_MS),
  SENTRA_MIGRATION_READY_CONFIRM_DELAY_MS: z.coerce
    .number()
    .int()
    .min(0)
    .default(DEFAULT_MIGRATION_READY_CONFIRM_DELAY_MS),
  SENTRA_MIGRATION_LOCK_TTL_MS: z.coerce.number().int().min(300).default(DEFAULT_MIGRATION_LOCK_TTL_MS),
  SENTRA_MIGRATION_RECOVERY_INTERVAL_MS: z.coerce
    .number()
    .int()
    .min(100)
    .default(DEFAULT_MIGRATION_RECOVERY_INTERVAL_MS),
  SENTRA_AUTO_MIGRATE: z.enum(["true", "false"], { message: "must be true or false" }).default("false"),
  SENTRA_AUTO_MIGRATE_ALLOW_SYNTHETIC_PRICES: z
    .enum(["true", "false"], { message: "must be true or false" })
    .default("false"),
  SENTRA_AUTO_MIGRATE_NAMESPACES: z
    .string()
    .default("")
    .transform((value) =>
      value
        .split(",")
        .map((item) => item.trim())
        .filter((item) => item !== ""),
    )
    .pipe(
      z.array(z.string().regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, { message: "each entry must be a namespace name" })),
    ),
  SENTRA_AUTO_MARGIN_THRESHOLD_USD: z.coerce.number().finite().default(0),
  SENTRA_AUTO_SUSTAIN_S: z.coerce.number().min(0).default(1_800),
  SENTRA_AUTO_COOLDOWN_S: z.coerce.number().min(0).default(21_600),
  SENTRA_AUTO_MAX_CONCURRENT: z.coerce.number().int().min(0).default(2),
  SENTRA_AUTO_LEADER_LEASE_MS: z.coerce.number().int().min(300).default(DEFAULT_AUTO_LEADER_LEASE_MS),
  SENTRA_TEST_CRASH_AT_STEP: z.enum(MIGRATION_CRASH_POINTS).optional(),
  // --- rollouts ---
  SENTRA_ROLLOUT_RECONCILE_INTERVAL_MS: z.coerce.number().int().min(100).default(DEFAULT_ROLLOUT_RECONCILE_INTERVAL_MS),
  SENTRA_ROLLOUT_DISPATCH_TIMEOUT_MS: z.coerce.number().int().min(1_000).default(DEFAULT_ROLLOUT_DISPATCH_TIMEOUT_MS),
  SENTRA_ROLLOUT_POLL_INTERVAL_MS: z.coerce.number().int().min(100).default(DEFAULT_ROLLOUT_POLL_INTERVAL_MS),
  SENTRA_ROLLOUT_LEADER_LEASE_MS: z.coerce.number().int().min(1_000).default(DEFAULT_ROLLOUT_LEADER_LEASE_MS),
  SENTRA_EVENT_STREAM_MAX_AGE_HOURS: z.coerce
    .number()
    .positive()
    .max(87_600)
    .default(DEFAULT_EVENT_STREAM_MAX_AGE_HOURS),
  SENTRA_EVENT_STREAM_REPLICAS: z.coerce.number().int().min(1).max(5).default(1),
  SENTRA_EVENT_STREAM_MAX_BYTES: z.coerce.number().int().min(1_048_576).default(DEFAULT_EVENT_STREAM_MAX_BYTES),
  // --- security (docs/security.md) ---
  SENTRA_ADMIN_TOKEN: z
    .string()
    .trim()
    .optional()
    .transform((value) => (value === "" ? undefined : value))
    // The message never repeats the value: it is a secret.
    .refine((value) => value === undefined || API_TOKEN_PATTERN.test(value), {
      message: "must be `sentra_` followed by 32–192 characters A-Z a-z 0-9 _ - (e.g. sentra_$(openssl rand -hex 32))",
    }),
  SENTRA_ADMIN_TOKEN_FILE: z.string().min(1).default(DEFAULT_ADMIN_TOKEN_FILE),
  SENTRA_MUTATION_RATE_LIMIT_PER_MINUTE: z.coerce
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .default(DEFAULT_MUTATION_RATE_LIMIT_PER_MINUTE),
  SENTRA_REFUSED_SIGNINS_PER_SOURCE_BURST: z.coerce
    .number()
    .int()
    .min(0)
    .max(1_000_000)
    .default(REFUSAL_BURST_PER_SOURCE),
  SENTRA_MAX_STREAMS_PER_TOKEN: z.coerce.number().int().min(1).max(100_000).default(DEFAULT_MAX_STREAMS_PER_TOKEN),
  SENTRA_TOKEN_RECHECK_INTERVAL_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(60_000)
    .default(DEFAULT_TOKEN_RECHECK_INTERVAL_MS),
  // Removed with the single dashboard token: refuse to start rather than silently ignore them.
  SENTRA_DASHBOARD_TOKEN: removedVariable(
    "removed: the dashboard signs in with any API token (sentra token create --role viewer); see docs/security.md",
  ),
  SENTRA_DASHBOARD_EMIT_LOOP_SHARE: removedVariable(
    "removed: the delta interval now adapts to the whole event loop's utilization, SENTRA_DASHBOARD_MAX_LOOP_UTILIZATION (default 0.7); see docs/configuration.md",
  ),
  SENTRA_DASHBOARD_TOKEN_FILE: removedVariable(
    "removed: the coordinator keeps its admin token in SENTRA_ADMIN_TOKEN_FILE (default .sentra/admin-token); see docs/security.md",
  ),
  // --- dashboard ---
  SENTRA_DASHBOARD_DIR: z.string().min(1).optional(),
  SENTRA_INGEST_QUEUE_GROUP: z
    .string()
    .regex(/^[A-Za-z0-9_-]*$/, "letters, digits, - and _ (empty: every replica ingests every message)")
    .default(DEFAULT_INGEST_QUEUE_GROUP),
  SENTRA_INGEST_LANES: z.coerce.number().int().min(1).max(16).default(DEFAULT_INGEST_LANES),
  SENTRA_INGEST_MAX_BATCH: z.coerce.number().int().min(1).max(10_000).default(DEFAULT_INGEST_MAX_BATCH),
  SENTRA_INGEST_BATCH_WINDOW_MS: z.coerce.number().int().min(0).max(1_000).default(DEFAULT_INGEST_BATCH_WINDOW_MS),
  SENTRA_INGEST_SATELLITE_RATE_PER_S: z.coerce
    .number()
    .min(0)
    .max(100_000)
    .default(DEFAULT_INGEST_SATELLITE_RATE_PER_S),
  SENTRA_SATELLITE_RETENTION_S: z.coerce.number().int().min(0).default(DEFAULT_SATELLITE_RETENTION_S),
  SENTRA_SATELLITE_ADMISSION: z.enum(SATELLITE_ADMISSION_MODES).default("first-use"),
  SENTRA_HISTORY_RETENTION_DAYS: z.coerce.number().min(0).max(36_500).default(DEFAULT_HISTORY_RETENTION_DAYS),
  SENTRA_AUDIT_RETENTION_DAYS: z.coerce.number().min(0).max(36_500).default(DEFAULT_AUDIT_RETENTION_DAYS),
  SENTRA_RETENTION_CHECK_INTERVAL_S: z.coerce
    .number()
    .int()
    .min(1)
    .max(86_400)
    .default(DEFAULT_RETENTION_CHECK_INTERVAL_S),
  SENTRA_DASHBOARD_DELTA_INTERVAL_MS: z.coerce
    .number()
    .int()
    .min(5)
    .max(MAX_DASHBOARD_DELTA_INTERVAL_MS)
    .default(DEFAULT_DASHBOARD_DELTA_INTERVAL_MS),
  SENTRA_DASHBOARD_MAX_LOOP_UTILIZATION: z.coerce
    .number()
    .min(0.05)
    .max(1)
    .default(DEFAULT_DASHBOARD_MAX_LOOP_UTILIZATION),
});

/** The coordinator's configuration, parsed once at start-up. */
export interface CoordinatorConfig {
  natsUrl: string;
  /**
   * The coordinator's NATS identity, as file paths (read at connect, never logged): the nkey seed
   * `sentra nats-config` wrote for it, or a `.creds` file. Neither: an anonymous connection.
   */
  natsAuth: { nkeySeedFile: string | undefined; credsFile: string | undefined };
  redisUrl: string;
  mysqlUrl: string;
  subjectPrefix: string;
  redisPrefix: string;
  grpc: { host: string; port: number };
  /**
   * How the coordinator dials SatelliteService: mTLS with its `coordinator` certificate, checking
   * each satellite's certificate names the satellite it expects; or plaintext (docs/security.md).
   */
  satelliteTls: GrpcTlsSettings;
  http: { host: string; port: number };
  /**
   * How both API ports (gRPC and HTTP) are served: TLS from a certificate re-read as it is renewed,
   * or plaintext — on loopback, or elsewhere behind `SENTRA_API_INSECURE=true` (docs/security.md).
   */
  apiTls: ApiTlsSettings;
  priceTtlMs: number;
  inventorySyncIntervalMs: number;
  /**
   * Largest accepted payload per subject kind, in bytes: each kind's own limit
   * (`SENTRA_MAX_<KIND>_BYTES`), never above `SENTRA_MAX_MESSAGE_BYTES`. The event limit is also
   * the event stream's maximum message size, so JetStream refuses a larger event at publish.
   */
  maxPayloadBytes: { health: number; price: number; event: number };
  /** How satellite messages are shared between replicas, batched and rate-limited (docs/scale.md). */
  ingest: {
    /** NATS queue group of the satellite subjects; empty: every replica ingests everything. */
    queueGroup: string;
    lanes: number;
    maxBatch: number;
    batchWindowMs: number;
    /** Per satellite and subject kind, sustained; 0: unlimited. */
    satelliteRatePerSecond: number;
    /** Satellites not seen for this long are forgotten (ms); 0: never. */
    satelliteRetentionMs: number;
    /**
     * How a new satellite id gets its binding to a cloud, region and clusters (docs/security.md,
     * "Satellite identity"): `first-use` binds what its first heartbeat claims; `approval` records
     * the claim and ignores the satellite until an admin approves it.
     */
    admission: SatelliteAdmissionMode;
  };
  logLevel: string;
  /** Opportunity finder and dry run (docs/arbitrage.md). */
  arbitrage: {
    intervalMs: number;
    minMarginUsd: number;
    defaultStateGb: number;
    readinessEstimateSeconds: number;
    horizonHours: number;
    egressPriceOverrides: EgressPriceRule[];
  };
  /** The make-before-break saga. */
  migration: {
    readyTimeoutMs: number;
    stepTimeoutMs: number;
    callTimeoutMs: number;
    pollIntervalMs: number;
    /** `SENTRA_MIGRATION_READY_CONFIRM_DELAY_MS`: pause before the second read that confirms a ready target. */
    readyConfirmDelayMs: number;
    lockTtlMs: number;
    recoveryIntervalMs: number;
    /** Fault injection for crash tests: SIGKILL the process at this saga step. Never set in production. */
    crashAtStep: (typeof MIGRATION_CRASH_POINTS)[number] | undefined;
  };
  /** Automatic mode (off by default). */
  autoMigration: {
    enabled: boolean;
    marginThresholdUsd: number;
    sustainSeconds: number;
    cooldownSeconds: number;
    maxConcurrentMigrations: number;
    leaderLeaseMs: number;
    /**
     * `SENTRA_AUTO_MIGRATE_ALLOW_SYNTHETIC_PRICES`: act on model and replay prices too (the demo,
     * tests). Off: only prices both satellites read from a live pricing API move workloads.
     */
    allowSyntheticPrices: boolean;
    /**
     * `SENTRA_AUTO_MIGRATE_NAMESPACES` (comma-separated): namespaces whose workloads automatic mode
     * may move without their own `sentra.io/auto-migrate: "true"`. Empty (the default): only
     * annotated workloads.
     */
    optInNamespaces: readonly string[];
  };
  /** Multi-cluster rollouts and the event record (docs/release-guard.md). */
  rollout: {
    reconcileIntervalMs: number;
    dispatchTimeoutMs: number;
    pollIntervalMs: number;
    leaderLeaseMs: number;
    /** The JetStream event stream: retention (ms) and replicas. */
    eventStreamMaxAgeMs: number;
    /** The stream's size bound (the oldest events are discarded first). */
    eventStreamMaxBytes: number;
    eventStreamReplicas: number;
  };
  /** How long the MySQL record keeps its growing tables (docs/configuration.md, "Retention"); 0: forever. */
  retention: {
    historyMs: number;
    auditMs: number;
    checkIntervalMs: number;
  };
  /** API tokens, roles, audit and rate limits (docs/security.md). */
  security: {
    /** `SENTRA_ADMIN_TOKEN`: the bootstrap admin token given by the deployment; undefined: `adminTokenFile`. */
    adminToken: string | undefined;
    /** Absolute path of the bootstrap admin token's file (generated there, mode 0600, when absent). */
    adminTokenFile: string;
    /** Mutating calls one principal may make per minute, over every channel and replica. */
    mutationRateLimitPerMinute: number;
    /** Refused sign-ins one source address may make before it is refused outright (0: never). */
    refusedSigninsPerSourceBurst: number;
    /** Server streams and dashboard sockets one token may hold open at once on this coordinator. */
    maxStreamsPerToken: number;
    /** How often the dashboard gateway re-checks the tokens of its open sockets. */
    tokenRecheckIntervalMs: number;
  };
  /** The dashboard (docs/dashboard.md): the built page the coordinator serves and its live feed. */
  dashboard: {
    /** Absolute path of the built page (`index.html` and `assets/`). */
    staticDir: string;
    /** Live updates are batched and sent at most this often (the floor; ms). */
    deltaIntervalMs: number;
    /** Event-loop utilization above which the interval grows (and below 80 % of which it shrinks). */
    maxLoopUtilization: number;
  };
}

export function loadCoordinatorConfig(env: Record<string, string | undefined>): CoordinatorConfig {
  const parsed = parseConfig(
    "coordinator",
    schema
      .superRefine(checkGrpcTlsEnvironment)
      .superRefine(checkApiTlsEnvironment)
      .superRefine(checkHistoryOutlivesEventStream),
    env,
  );
  return Object.freeze({
    natsUrl: parsed.NATS_URL,
    natsAuth: { nkeySeedFile: parsed.SENTRA_NATS_NKEY_SEED_FILE, credsFile: parsed.SENTRA_NATS_CREDS_FILE },
    redisUrl: parsed.REDIS_URL,
    mysqlUrl: parsed.MYSQL_URL,
    subjectPrefix: parsed.SENTRA_SUBJECT_PREFIX,
    redisPrefix: parsed.SENTRA_REDIS_PREFIX,
    grpc: { host: parsed.SENTRA_GRPC_HOST, port: parsed.SENTRA_GRPC_PORT },
    satelliteTls: grpcTlsSettingsOf(parsed),
    http: { host: parsed.SENTRA_HTTP_HOST, port: parsed.SENTRA_HTTP_PORT },
    apiTls: apiTlsSettingsOf(parsed),
    priceTtlMs: parsed.SENTRA_PRICE_TTL_MS,
    inventorySyncIntervalMs: parsed.SENTRA_INVENTORY_SYNC_INTERVAL_MS,
    maxPayloadBytes: {
      health: Math.min(parsed.SENTRA_MAX_HEALTH_BYTES, parsed.SENTRA_MAX_MESSAGE_BYTES),
      price: Math.min(parsed.SENTRA_MAX_PRICE_BYTES, parsed.SENTRA_MAX_MESSAGE_BYTES),
      event: Math.min(parsed.SENTRA_MAX_EVENT_BYTES, parsed.SENTRA_MAX_MESSAGE_BYTES),
    },
    ingest: {
      queueGroup: parsed.SENTRA_INGEST_QUEUE_GROUP,
      lanes: parsed.SENTRA_INGEST_LANES,
      maxBatch: parsed.SENTRA_INGEST_MAX_BATCH,
      batchWindowMs: parsed.SENTRA_INGEST_BATCH_WINDOW_MS,
      satelliteRatePerSecond: parsed.SENTRA_INGEST_SATELLITE_RATE_PER_S,
      satelliteRetentionMs: parsed.SENTRA_SATELLITE_RETENTION_S * 1_000,
      admission: parsed.SENTRA_SATELLITE_ADMISSION,
    },
    logLevel: parsed.SENTRA_LOG_LEVEL,
    arbitrage: {
      intervalMs: parsed.SENTRA_ARBITRAGE_INTERVAL_MS,
      minMarginUsd: parsed.SENTRA_ARBITRAGE_MIN_MARGIN_USD,
      defaultStateGb: parsed.SENTRA_ARBITRAGE_DEFAULT_STATE_GB,
      readinessEstimateSeconds: parsed.SENTRA_ARBITRAGE_READINESS_ESTIMATE_S,
      horizonHours: parsed.SENTRA_ARBITRAGE_HORIZON_HOURS,
      egressPriceOverrides: parsed.SENTRA_EGRESS_PRICE_OVERRIDES,
    },
    migration: {
      readyTimeoutMs: parsed.SENTRA_MIGRATION_READY_TIMEOUT_MS,
      stepTimeoutMs: parsed.SENTRA_MIGRATION_STEP_TIMEOUT_MS,
      callTimeoutMs: parsed.SENTRA_MIGRATION_CALL_TIMEOUT_MS,
      pollIntervalMs: parsed.SENTRA_MIGRATION_POLL_INTERVAL_MS,
      readyConfirmDelayMs: parsed.SENTRA_MIGRATION_READY_CONFIRM_DELAY_MS,
      lockTtlMs: parsed.SENTRA_MIGRATION_LOCK_TTL_MS,
      recoveryIntervalMs: parsed.SENTRA_MIGRATION_RECOVERY_INTERVAL_MS,
      crashAtStep: parsed.SENTRA_TEST_CRASH_AT_STEP,
    },
    autoMigration: {
      enabled: parsed.SENTRA_AUTO_MIGRATE === "true",
      marginThresholdUsd: parsed.SENTRA_AUTO_MARGIN_THRESHOLD_USD,
      sustainSeconds: parsed.SENTRA_AUTO_SUSTAIN_S,
      cooldownSeconds: parsed.SENTRA_AUTO_COOLDOWN_S,
      maxConcurrentMigrations: parsed.SENTRA_AUTO_MAX_CONCURRENT,
      leaderLeaseMs: parsed.SENTRA_AUTO_LEADER_LEASE_MS,
      allowSyntheticPrices: parsed.SENTRA_AUTO_MIGRATE_ALLOW_SYNTHETIC_PRICES === "true",
      optInNamespaces: parsed.SENTRA_AUTO_MIGRATE_NAMESPACES,
    },
    rollout: {
      reconcileIntervalMs: parsed.SENTRA_ROLLOUT_RECONCILE_INTERVAL_MS,
      dispatchTimeoutMs: parsed.SENTRA_ROLLOUT_DISPATCH_TIMEOUT_MS,
      pollIntervalMs: parsed.SENTRA_ROLLOUT_POLL_INTERVAL_MS,
      leaderLeaseMs: parsed.SENTRA_ROLLOUT_LEADER_LEASE_MS,
      eventStreamMaxAgeMs: parsed.SENTRA_EVENT_STREAM_MAX_AGE_HOURS * 3_600_000,
      eventStreamReplicas: parsed.SENTRA_EVENT_STREAM_REPLICAS,
      eventStreamMaxBytes: parsed.SENTRA_EVENT_STREAM_MAX_BYTES,
    },
    retention: {
      historyMs: parsed.SENTRA_HISTORY_RETENTION_DAYS * DAY_MS,
      auditMs: parsed.SENTRA_AUDIT_RETENTION_DAYS * DAY_MS,
      checkIntervalMs: parsed.SENTRA_RETENTION_CHECK_INTERVAL_S * 1_000,
    },
    security: {
      adminToken: parsed.SENTRA_ADMIN_TOKEN,
      adminTokenFile: resolve(parsed.SENTRA_ADMIN_TOKEN_FILE),
      mutationRateLimitPerMinute: parsed.SENTRA_MUTATION_RATE_LIMIT_PER_MINUTE,
      refusedSigninsPerSourceBurst: parsed.SENTRA_REFUSED_SIGNINS_PER_SOURCE_BURST,
      maxStreamsPerToken: parsed.SENTRA_MAX_STREAMS_PER_TOKEN,
      tokenRecheckIntervalMs: parsed.SENTRA_TOKEN_RECHECK_INTERVAL_MS,
    },
    dashboard: {
      staticDir: resolve(parsed.SENTRA_DASHBOARD_DIR ?? defaultDashboardDir()),
      deltaIntervalMs: parsed.SENTRA_DASHBOARD_DELTA_INTERVAL_MS,
      maxLoopUtilization: parsed.SENTRA_DASHBOARD_MAX_LOOP_UTILIZATION,
    },
  });
}

const DAY_MS = 86_400_000;

/**
 * The applied-event records are the de-duplication record of the event stream: deleting one while
 * the stream still holds its event would let a replay apply the event twice.
 */
function checkHistoryOutlivesEventStream(
  env: { SENTRA_HISTORY_RETENTION_DAYS: number; SENTRA_EVENT_STREAM_MAX_AGE_HOURS: number },
  context: z.RefinementCtx,
): void {
  const historyHours = env.SENTRA_HISTORY_RETENTION_DAYS * 24;
  if (historyHours > 0 && historyHours < env.SENTRA_EVENT_STREAM_MAX_AGE_HOURS) {
    context.addIssue({
      code: "custom",
      path: ["SENTRA_HISTORY_RETENTION_DAYS"],
      message: `must be at least the event stream's age bound (SENTRA_EVENT_STREAM_MAX_AGE_HOURS=${env.SENTRA_EVENT_STREAM_MAX_AGE_HOURS}, ${env.SENTRA_EVENT_STREAM_MAX_AGE_HOURS / 24} days), or 0 to keep history forever: the applied-event records de-duplicate the stream's events`,
    });
  }
}

/** A variable Sentra no longer reads: set, it stops the start with `message`. */
function removedVariable(message: string) {
  return z
    .string()
    .optional()
    .refine((value) => value === undefined, { message })
    .transform(() => undefined);
}

/** Nest injection tokens for values that are not classes. */
export const COORDINATOR_CONFIG = Symbol("CoordinatorConfig");
export const LOGGER = Symbol("Logger");
export const METRICS_REGISTRY = Symbol("MetricsRegistry");
export const NATS_CONNECTION = Symbol("NatsConnection");
export const REDIS_CLIENT = Symbol("Redis");
export const MYSQL_POOL = Symbol("MysqlPool");
/** Injection token of the saga journal's own MySQL pool (connections.ts, `openMysqlPool`). */
export const MIGRATION_JOURNAL_POOL = Symbol("MigrationJournalPool");
/** The `SatelliteTransport` every SatelliteClientPool is built with. */
export const SATELLITE_TRANSPORT = Symbol("SatelliteTransport");
/** The `ApiTransport` both API servers are served with. */
export const API_TRANSPORT = Symbol("ApiTransport");
