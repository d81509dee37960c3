import { parseConfig } from "@sentra/common";
import { z } from "zod";

/** @default 3 — heartbeats a satellite may miss before it is stale. */
export const MISSED_HEARTBEATS_BEFORE_STALE = 3;
/** @default 30000 — a price not refreshed for this long expires from Redis and is never used. */
export const DEFAULT_PRICE_TTL_MS = 30_000;
/** @default 5000 */
export const DEFAULT_INVENTORY_SYNC_INTERVAL_MS = 5_000;
/** @default 1048576 — larger NATS payloads are dropped and counted. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1_048_576;

const port = z.coerce.number().int().min(0).max(65_535);

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
  });
}

/** Nest injection tokens for values that are not classes. */
export const COORDINATOR_CONFIG = Symbol("CoordinatorConfig");
export const LOGGER = Symbol("Logger");
export const METRICS_REGISTRY = Symbol("MetricsRegistry");
export const NATS_CONNECTION = Symbol("NatsConnection");
export const REDIS_CLIENT = Symbol("Redis");
export const MYSQL_POOL = Symbol("MysqlPool");
