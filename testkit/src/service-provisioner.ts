import { execFileSync } from "node:child_process";
import { accessSync, constants } from "node:fs";
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

/** Debian packages installed by this process already (one attempt each). */
const installedPackages = new Set<string>();

/**
 * The path of a server binary the tests run for real (haproxy, nginx), installing its Debian
 * package first when it is missing and the tests run as root with apt-get (as `.ci/run` and
 * `scripts/provision-test-tools.mjs` do before `npm test`; `SENTRA_TEST_NO_PROVISION=1` only
 * reports). Otherwise an error that says what to install.
 */
export function requireDebianBinary(path: string, debianPackage: string): string {
  const executable = () => {
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  if (executable()) return path;
  const hint = `${path} is missing: install it (Debian: apt-get install -y ${debianPackage})`;
  const mayInstall = process.env.SENTRA_TEST_NO_PROVISION !== "1" && process.getuid?.() === 0;
  if (!mayInstall || installedPackages.has(debianPackage)) throw new Error(hint);
  installedPackages.add(debianPackage);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  try {
    execFileSync("apt-get", ["update", "-qq"], { env, stdio: "ignore", timeout: 300_000 });
    execFileSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", debianPackage], {
      env,
      stdio: "ignore",
      timeout: 300_000,
    });
  } catch (error) {
    throw new Error(`${hint}; installing it failed: ${(error as Error).message}`);
  }
  if (!executable()) throw new Error(`${hint}; the package installed, but not at that path`);
  return path;
}
