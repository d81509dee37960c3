import { resolve } from "node:path";
import { parseConfig } from "@sentra/common";
import { z } from "zod";
import type { EgressPriceRule } from "../arbitrage/egress-price-table.js";
import {
  DEFAULT_DASHBOARD_DELTA_INTERVAL_MS,
  DEFAULT_DASHBOARD_TOKEN_FILE,
  defaultDashboardDir,
} from "../dashboard/dashboard-defaults.js";

/** @default 3 — heartbeats a satellite may miss before it is stale. */
export const MISSED_HEARTBEATS_BEFORE_STALE = 3;
/** @default 30000 — a price not refreshed for this long expires from Redis and is never used. */
export const DEFAULT_PRICE_TTL_MS = 30_000;
/** @default 5000 */
export const DEFAULT_INVENTORY_SYNC_INTERVAL_MS = 5_000;
/** @default 1048576 — larger NATS payloads are dropped and counted. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1_048_576;

/** @default 2000 — how often the rollout orchestrator (leader) re-plans every active rollout. */
export const DEFAULT_ROLLOUT_RECONCILE_INTERVAL_MS = 2_000;
/** @default 300000 — a wave (or revert) its satellite has not accepted within this long fails the rollout. */
export const DEFAULT_ROLLOUT_DISPATCH_TIMEOUT_MS = 300_000;
/** @default 5000 — how often running waves are also read from their satellites over gRPC. */
export const DEFAULT_ROLLOUT_POLL_INTERVAL_MS = 5_000;
/** @default 10000 — TTL of the rollout orchestrator's leader lease in Redis, renewed every third of it. */
export const DEFAULT_ROLLOUT_LEADER_LEASE_MS = 10_000;
/** @default 168 — events older than this (hours) leave the JetStream event stream, consumed or not. */
export const DEFAULT_EVENT_STREAM_MAX_AGE_HOURS = 168;

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
/** @default 15000 — TTL of a workload lock; the running saga renews it every third of it. */
export const DEFAULT_MIGRATION_LOCK_TTL_MS = 15_000;
/** @default 10000 — how often the journal is scanned for sagas nobody runs (crashed coordinator). */
export const DEFAULT_MIGRATION_RECOVERY_INTERVAL_MS = 10_000;
/** @default 15000 — TTL of the automatic-mode leader lease, renewed at every decision. */
export const DEFAULT_AUTO_LEADER_LEASE_MS = 15_000;

/** Fault-injection points of the migration saga (`SENTRA_TEST_CRASH_AT_STEP`, tests only). */
export const MIGRATION_CRASH_POINTS = [
  "LOCKED",
  "SCALING_UP_TARGET",
  "TARGET_SCALE_SENT",
  "TARGET_READY",
  "SCALING_DOWN_SOURCE",
  "SOURCE_SCALE_SENT",
  "COMPENSATING",
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
  SENTRA_HTTP_HOST: z.string().default("127.0.0.1"),
  SENTRA_HTTP_PORT: port.default(3000),
  SENTRA_PRICE_TTL_MS: z.coerce.number().int().min(100).default(DEFAULT_PRICE_TTL_MS),
  SENTRA_INVENTORY_SYNC_INTERVAL_MS: z.coerce.number().int().min(100).default(DEFAULT_INVENTORY_SYNC_INTERVAL_MS),
  SENTRA_MAX_MESSAGE_BYTES: z.coerce.number().int().min(1_024).default(DEFAULT_MAX_MESSAGE_BYTES),
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
  SENTRA_MIGRATION_LOCK_TTL_MS: z.coerce.number().int().min(300).default(DEFAULT_MIGRATION_LOCK_TTL_MS),
  SENTRA_MIGRATION_RECOVERY_INTERVAL_MS: z.coerce
    .number()
    .int()
    .min(100)
    .default(DEFAULT_MIGRATION_RECOVERY_INTERVAL_MS),
  SENTRA_AUTO_MIGRATE: z.enum(["true", "false"], { message: "must be true or false" }).default("false"),
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
  // --- dashboard ---
  SENTRA_DASHBOARD_TOKEN: z
    .string()
    .trim()
    .optional()
    .transform((value) => (value === "" ? undefined : value))
    .pipe(z.string().min(16, "at least 16 characters (or unset: one is generated)").optional()),
  SENTRA_DASHBOARD_VIEWER_TOKEN: z
    .string()
    .trim()
    .optional()
    .transform((value) => (value === "" ? undefined : value))
    .pipe(z.string().min(16, "at least 16 characters (or unset: no viewer token)").optional()),
  SENTRA_DASHBOARD_TOKEN_FILE: z.string().min(1).default(DEFAULT_DASHBOARD_TOKEN_FILE),
  SENTRA_DASHBOARD_DIR: z.string().min(1).optional(),
  SENTRA_DASHBOARD_DELTA_INTERVAL_MS: z.coerce
    .number()
    .int()
    .min(50)
    .max(5_000)
    .default(DEFAULT_DASHBOARD_DELTA_INTERVAL_MS),
});

/** The coordinator's configuration, parsed once at start-up. */
export interface CoordinatorConfig {
  natsUrl: string;
  redisUrl: string;
  mysqlUrl: string;
  subjectPrefix: string;
  redisPrefix: string;
  grpc: { host: string; port: number };
  http: { host: string; port: number };
  priceTtlMs: number;
  inventorySyncIntervalMs: number;
  maxMessageBytes: number;
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
  };
  /** Multi-cluster rollouts and the event record (docs/release-guard.md). */
  rollout: {
    reconcileIntervalMs: number;
    dispatchTimeoutMs: number;
    pollIntervalMs: number;
    leaderLeaseMs: number;
    /** The JetStream event stream: retention (ms) and replicas. */
    eventStreamMaxAgeMs: number;
    eventStreamReplicas: number;
  };
  /** The dashboard (docs/dashboard.md): sign-in token and the built page the coordinator serves. */
  dashboard: {
    /** `SENTRA_DASHBOARD_TOKEN` (signs in as operator); undefined: generated once and kept in `tokenFile`. */
    token: string | undefined;
    /** `SENTRA_DASHBOARD_VIEWER_TOKEN`: an optional second token that signs in as a viewer (sees, never acts). */
    viewerToken: string | undefined;
    /** Absolute path of the generated token's file (mode 0600). */
    tokenFile: string;
    /** Absolute path of the built page (`index.html` and `assets/`). */
    staticDir: string;
    /** Live updates are batched and sent at most this often (≥ 50 ms: 20 Hz). */
    deltaIntervalMs: number;
  };
}

export function loadCoordinatorConfig(env: Record<string, string | undefined>): CoordinatorConfig {
  const parsed = parseConfig("coordinator", schema, env);
  return Object.freeze({
    natsUrl: parsed.NATS_URL,
    redisUrl: parsed.REDIS_URL,
    mysqlUrl: parsed.MYSQL_URL,
    subjectPrefix: parsed.SENTRA_SUBJECT_PREFIX,
    redisPrefix: parsed.SENTRA_REDIS_PREFIX,
    grpc: { host: parsed.SENTRA_GRPC_HOST, port: parsed.SENTRA_GRPC_PORT },
    http: { host: parsed.SENTRA_HTTP_HOST, port: parsed.SENTRA_HTTP_PORT },
    priceTtlMs: parsed.SENTRA_PRICE_TTL_MS,
    inventorySyncIntervalMs: parsed.SENTRA_INVENTORY_SYNC_INTERVAL_MS,
    maxMessageBytes: parsed.SENTRA_MAX_MESSAGE_BYTES,
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
    },
    rollout: {
      reconcileIntervalMs: parsed.SENTRA_ROLLOUT_RECONCILE_INTERVAL_MS,
      dispatchTimeoutMs: parsed.SENTRA_ROLLOUT_DISPATCH_TIMEOUT_MS,
      pollIntervalMs: parsed.SENTRA_ROLLOUT_POLL_INTERVAL_MS,
      leaderLeaseMs: parsed.SENTRA_ROLLOUT_LEADER_LEASE_MS,
      eventStreamMaxAgeMs: parsed.SENTRA_EVENT_STREAM_MAX_AGE_HOURS * 3_600_000,
      eventStreamReplicas: parsed.SENTRA_EVENT_STREAM_REPLICAS,
    },
    dashboard: {
      token: parsed.SENTRA_DASHBOARD_TOKEN,
      viewerToken: parsed.SENTRA_DASHBOARD_VIEWER_TOKEN,
      tokenFile: resolve(parsed.SENTRA_DASHBOARD_TOKEN_FILE),
      staticDir: resolve(parsed.SENTRA_DASHBOARD_DIR ?? defaultDashboardDir()),
      deltaIntervalMs: parsed.SENTRA_DASHBOARD_DELTA_INTERVAL_MS,
    },
  });
}

/** Nest injection tokens for values that are not classes. */
export const COORDINATOR_CONFIG = Symbol("CoordinatorConfig");
export const LOGGER = Symbol("Logger");
export const METRICS_REGISTRY = Symbol("MetricsRegistry");
export const NATS_CONNECTION = Symbol("NatsConnection");
export const REDIS_CLIENT = Symbol("Redis");
export const MYSQL_POOL = Symbol("MysqlPool");
