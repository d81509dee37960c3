import { connect, credsAuthenticator, type NatsConnection, nkeyAuthenticator } from "@nats-io/transport-node";
import { type Logger, type NatsCredentialFiles, readNatsCredentials, redactUrl, SentraError } from "@sentra/common";
import { Redis } from "ioredis";
import { createConnection, createPool, type Pool } from "mysql2/promise";

/** @default 10000 */
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * Connects to NATS with the coordinator's own identity when one is configured (the nkey user
 * `sentra nats-config` made for it, or a `.creds` file), or fails naming what to start or set.
 * Reconnects forever once connected.
 */
export async function connectToNats(url: string, auth: NatsCredentialFiles, logger: Logger): Promise<NatsConnection> {
  const credentials = readNatsCredentials(auth);
  if (credentials?.othersCanRead) {
    logger.warn({ file: credentials.file }, "NATS credentials file is readable by group or others: chmod 600 it");
  }
  try {
    const connection = await connect({
      servers: url,
      name: "sentra-coordinator",
      ...(credentials
        ? {
            authenticator:
              credentials.kind === "nkey"
                ? nkeyAuthenticator(credentials.secret)
                : credsAuthenticator(credentials.secret),
          }
        : {}),
      timeout: CONNECT_TIMEOUT_MS,
      maxReconnectAttempts: -1,
    });
    void (async () => {
      for await (const status of connection.status()) {
        if (status.type === "disconnect" || status.type === "reconnect")
          logger.warn({ nats: status.type }, "NATS connection status");
      }
    })();
    return connection;
  } catch (error) {
    if (error instanceof Error && /authorization|authentication/i.test(`${error.name} ${error.message}`)) {
      throw new SentraError(
        "UNAUTHENTICATED",
        `NATS at ${redactUrl(url)} refused the coordinator's credentials (${credentials ? credentials.file : "none given"}): set SENTRA_NATS_NKEY_SEED_FILE to the coordinator's seed from 'sentra nats-config'`,
        { cause: error },
      );
    }
    throw new SentraError(
      "UNAVAILABLE",
      `cannot reach NATS at ${redactUrl(url)}: start nats-server -js or set NATS_URL`,
      { cause: error },
    );
  }
}

/** Connects to Redis, or fails naming what to start. */
export async function connectToRedis(url: string): Promise<Redis> {
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: CONNECT_TIMEOUT_MS, maxRetriesPerRequest: 3 });
  try {
    await redis.connect();
    return redis;
  } catch (error) {
    redis.disconnect();
    throw new SentraError(
      "UNAVAILABLE",
      `cannot reach Redis at ${redactUrl(url)}: start redis-server or set REDIS_URL`,
      { cause: error },
    );
  }
}

/** Creates the database named in the URL if it does not exist, then a pool on it. */
export async function connectToMysql(url: string): Promise<Pool> {
  const parsed = new URL(url);
  const database = decodeURIComponent(parsed.pathname.slice(1));
  if (!/^[A-Za-z0-9_]+$/.test(database))
    throw SentraError.invalidArgument("MYSQL_URL", "database name must be letters, digits and _");
  try {
    const server = new URL(url);
    server.pathname = "/";
    const admin = await createConnection({ uri: server.toString(), connectTimeout: CONNECT_TIMEOUT_MS });
    try {
      await admin.query(`CREATE DATABASE IF NOT EXISTS \`${database}\` CHARACTER SET utf8mb4`);
    } finally {
      await admin.end();
    }
  } catch (error) {
    throw new SentraError(
      "UNAVAILABLE",
      `cannot reach MySQL at ${redactUrl(url)}: start MariaDB/MySQL (root@127.0.0.1 by default) or set MYSQL_URL`,
      { cause: error },
    );
  }
  return openMysqlPool(url, SHARED_POOL_CONNECTIONS);
}

/** @default 10 — connections of the pool everything but the saga journal shares. */
export const SHARED_POOL_CONNECTIONS = 10;
/** @default 4 — connections of the saga journal's own pool. */
export const JOURNAL_POOL_CONNECTIONS = 4;

/**
 * A pool on a database `connectToMysql` has made sure of. The saga journal gets one of its own
 * ({@link JOURNAL_POOL_CONNECTIONS}): a migration halfway through must be able to journal its next
 * step while audit rows, satellite records or a refusal storm keep the shared pool busy.
 */
export function openMysqlPool(url: string, connectionLimit: number): Pool {
  return createPool({ uri: url, connectionLimit, timezone: "Z", dateStrings: false });
}
