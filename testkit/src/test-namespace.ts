import { randomBytes } from "node:crypto";
import { connect as connectNats, type NatsConnection } from "@nats-io/transport-node";
import { Redis } from "ioredis";
import { createConnection } from "mysql2/promise";
import { provisionServices } from "./service-provisioner.js";
import type { ServiceUrls } from "./service-urls.js";

/**
 * One test's private slice of the shared services: a NATS subject prefix, a Redis key prefix and
 * a MySQL database of its own, so tests run in parallel without seeing each other. `dispose()`
 * (or `await using`) drops the database, deletes the keys and closes everything the kit opened.
 */
export interface TestNamespace extends AsyncDisposable {
  readonly id: string;
  readonly urls: ServiceUrls;
  /** Prefix for every NATS subject of this test, e.g. "t3f9a0c". */
  readonly subjectPrefix: string;
  /** Prefix for every Redis key of this test, e.g. "t3f9a0c:". */
  readonly redisKeyPrefix: string;
  /** A database created for this test. */
  readonly mysqlDatabase: string;
  /** MYSQL URL pointing at this test's database. */
  readonly mysqlUrl: string;
  /** A NATS connection opened on first use and closed on dispose. */
  nats(): Promise<NatsConnection>;
  /** A Redis connection opened on first use and closed on dispose. */
  redis(): Redis;
  /** Registers something to close when the test ends (run in reverse order). */
  defer(close: () => Promise<void> | void): void;
  dispose(): Promise<void>;
}

export async function createTestNamespace(label = "t"): Promise<TestNamespace> {
  const urls = await provisionServices();
  const id = `${label
    .replace(/[^a-z0-9]/gi, "")
    .toLowerCase()
    .slice(0, 12)}${randomBytes(4).toString("hex")}`;
  const mysqlDatabase = `sentra_test_${id}`;
  const admin = await createConnection({ uri: urls.mysqlUrl });
  try {
    await admin.query(`CREATE DATABASE \`${mysqlDatabase}\``);
  } finally {
    await admin.end();
  }
  const mysqlUrl = withDatabase(urls.mysqlUrl, mysqlDatabase);
  const deferred: Array<() => Promise<void> | void> = [];
  let nats: Promise<NatsConnection> | undefined;
  let redis: Redis | undefined;
  let disposed = false;

  const dispose = async (): Promise<void> => {
    if (disposed) return;
    disposed = true;
    const errors: unknown[] = [];
    for (const close of deferred.reverse()) {
      try {
        await close();
      } catch (error) {
        errors.push(error);
      }
    }
    if (nats) await (await nats).close();
    const cleaner = redis ?? new Redis(urls.redisUrl, { lazyConnect: false });
    try {
      await deleteKeys(cleaner, `${id}:*`);
    } finally {
      cleaner.disconnect();
    }
    const dropper = await createConnection({ uri: urls.mysqlUrl });
    try {
      await dropper.query(`DROP DATABASE IF EXISTS \`${mysqlDatabase}\``);
    } finally {
      await dropper.end();
    }
    if (errors.length > 0) throw new AggregateError(errors, `test namespace ${id}: cleanup failed`);
  };

  return {
    id,
    urls,
    subjectPrefix: id,
    redisKeyPrefix: `${id}:`,
    mysqlDatabase,
    mysqlUrl,
    nats: () => {
      nats ??= connectNats({ servers: urls.natsUrl, name: `sentra-test-${id}` });
      return nats;
    },
    redis: () => {
      redis ??= new Redis(urls.redisUrl);
      return redis;
    },
    defer: (close) => {
      deferred.push(close);
    },
    dispose,
    [Symbol.asyncDispose]: dispose,
  };
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function deleteKeys(redis: Redis, pattern: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", pattern, "COUNT", 500);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== "0");
}
