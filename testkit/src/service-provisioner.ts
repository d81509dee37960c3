import { isReachable } from "./reachability.js";
import { type ServiceUrls, serviceUrlsFromEnv } from "./service-urls.js";

/** How to start each service on a machine without Docker (Debian packages). */
const START_HINTS = {
  nats: "start NATS with JetStream: nats-server -a 127.0.0.1 -p 4222 -js (Debian package nats-server), or set NATS_URL",
  redis: "start Redis: redis-server --port 6379 (Debian package redis-server), or set REDIS_URL",
  mysql:
    "start MySQL/MariaDB with root@127.0.0.1 and a database 'test' (Debian package mariadb-server), or set MYSQL_URL",
} as const;

type ServiceName = keyof typeof START_HINTS;

let provisioned: Promise<ServiceUrls> | undefined;

/**
 * Resolves the URLs of NATS, Redis and MySQL for tests: environment URLs first (localhost
 * defaults); for any service that does not answer, Docker through testcontainers when a Docker
 * engine answers; otherwise an error naming what to start. Containers live as long as the process.
 */
export function provisionServices(): Promise<ServiceUrls> {
  provisioned ??= provision();
  return provisioned;
}

async function provision(): Promise<ServiceUrls> {
  const urls = serviceUrlsFromEnv();
  const missing: ServiceName[] = [];
  if (!(await isReachable(urls.natsUrl, 4222))) missing.push("nats");
  if (!(await isReachable(urls.redisUrl, 6379))) missing.push("redis");
  if (!(await isReachable(urls.mysqlUrl, 3306))) missing.push("mysql");
  if (missing.length === 0) return urls;
  if (!(await dockerAnswers())) {
    throw new Error(
      `Sentra tests need real services and these did not answer:\n${missing
        .map((name) => `  - ${name} (${urlOf(urls, name)}): ${START_HINTS[name]}`)
        .join("\n")}\nNo Docker engine answered either, so testcontainers cannot start them.`,
    );
  }
  return { ...urls, ...(await startContainers(missing)) };
}

function urlOf(urls: ServiceUrls, name: ServiceName): string {
  return name === "nats" ? urls.natsUrl : name === "redis" ? urls.redisUrl : urls.mysqlUrl;
}

async function dockerAnswers(): Promise<boolean> {
  const socketPath = "/var/run/docker.sock";
  const { existsSync } = await import("node:fs");
  return existsSync(socketPath) || process.env.DOCKER_HOST !== undefined;
}

/** Only loaded when needed: most machines running these tests have the services already. */
async function startContainers(missing: readonly ServiceName[]): Promise<Partial<ServiceUrls>> {
  const { GenericContainer, Wait } = await import("testcontainers");
  const result: Partial<ServiceUrls> = {};
  for (const name of missing) {
    if (name === "nats") {
      const container = await new GenericContainer("nats:2.10").withCommand(["-js"]).withExposedPorts(4222).start();
      result.natsUrl = `nats://${container.getHost()}:${container.getMappedPort(4222)}`;
    } else if (name === "redis") {
      const container = await new GenericContainer("redis:7").withExposedPorts(6379).start();
      result.redisUrl = `redis://${container.getHost()}:${container.getMappedPort(6379)}`;
    } else {
      const container = await new GenericContainer("mariadb:11")
        .withEnvironment({ MARIADB_ALLOW_EMPTY_ROOT_PASSWORD: "1", MARIADB_DATABASE: "test" })
        .withExposedPorts(3306)
        .withWaitStrategy(Wait.forLogMessage(/ready for connections/, 2))
        .start();
      result.mysqlUrl = `mysql://root@${container.getHost()}:${container.getMappedPort(3306)}/test`;
    }
  }
  return result;
}
