import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { createDevelopmentPki, tlsEnvironmentOf } from "@sentra/common";
import { satelliteEventStream } from "@sentra/proto";
import { Redis } from "ioredis";
import { createConnection } from "mysql2/promise";
import { componentMainScript } from "./component-main-script.js";

/** Service URLs from the environment, localhost by default (as the tests take them). */
export const BENCH_SERVICES = {
  natsUrl: process.env.NATS_URL ?? "nats://127.0.0.1:4222",
  redisUrl: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
  mysqlUrl: process.env.MYSQL_URL ?? "mysql://root@127.0.0.1:3306/sentra",
} as const;

export interface BenchCoordinator {
  readonly child: ChildProcess;
  readonly httpUrl: string;
  readonly grpcAddress: string;
  /** The namespace it runs in: subject prefix, `<id>:` Redis prefix, `sentra_<id>` database. */
  readonly id: string;
}

export interface BenchCoordinatorOptions {
  /** Subject prefix, Redis prefix and database suffix of this coordinator's estate. */
  readonly id: string;
  /** The bench's admin token (SENTRA_ADMIN_TOKEN), so no token file is written. */
  readonly adminToken: string;
  /** @default this build's `@sentra/coordinator` entry point (`coordinator/dist/main.js`) — or another build's, to compare against it. */
  readonly script?: string;
  readonly env?: Record<string, string>;
}

const started: BenchCoordinator[] = [];

/**
 * Starts a built coordinator in its own namespace of the real services, as deployed (mTLS towards
 * satellites, a development PKI for the run), and resolves once it logged "coordinator started".
 * `BENCH_COORDINATOR_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof"` profiles it.
 */
export async function startBenchCoordinator(options: BenchCoordinatorOptions): Promise<BenchCoordinator> {
  const pkiDir = mkdtempSync(join(tmpdir(), "sentra-bench-pki-"));
  process.once("exit", () => rmSync(pkiDir, { recursive: true, force: true }));
  const pki = await createDevelopmentPki({ dir: pkiDir, satelliteIds: [] });
  const mysqlUrl = new URL(BENCH_SERVICES.mysqlUrl);
  mysqlUrl.pathname = `/sentra_${options.id}`;
  const nodeArgs = (process.env.BENCH_COORDINATOR_NODE_ARGS ?? "").split(" ").filter(Boolean);
  const script = options.script ?? componentMainScript("@sentra/coordinator");
  const child = spawn(process.execPath, [...nodeArgs, script], {
    env: {
      ...process.env,
      ...tlsEnvironmentOf(pki.caCertificatePath, pki.coordinator),
      NATS_URL: BENCH_SERVICES.natsUrl,
      REDIS_URL: BENCH_SERVICES.redisUrl,
      MYSQL_URL: mysqlUrl.toString(),
      SENTRA_SUBJECT_PREFIX: options.id,
      SENTRA_REDIS_PREFIX: `${options.id}:`,
      SENTRA_GRPC_PORT: "0",
      SENTRA_HTTP_PORT: "0",
      SENTRA_ADMIN_TOKEN: options.adminToken,
      SENTRA_LOG_LEVEL: "info",
      ...options.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const line = await new Promise<{ httpUrl: string; grpcPort: number }>((resolve, reject) => {
    let output = "";
    const timer = setTimeout(
      () => reject(new Error(`coordinator did not start in 60 s:\n${output.slice(-2000)}`)),
      60_000,
    );
    const onData = (chunk: Buffer): void => {
      output += chunk.toString("utf8");
      const text = output.split("\n").find((row) => row.includes('"msg":"coordinator started"'));
      if (!text) return;
      clearTimeout(timer);
      child.stdout?.off("data", onData);
      child.stdout?.resume();
      resolve(JSON.parse(text) as { httpUrl: string; grpcPort: number });
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
    });
    child.once("exit", (code) => reject(new Error(`coordinator exited (${code}):\n${output.slice(-2000)}`)));
  });
  const coordinator = {
    child,
    httpUrl: line.httpUrl,
    grpcAddress: `127.0.0.1:${line.grpcPort}`,
    id: options.id,
  };
  started.push(coordinator);
  return coordinator;
}

/** Stops a bench coordinator and removes its namespace: JetStream stream, Redis keys, database. */
export async function stopBenchCoordinator(coordinator: BenchCoordinator): Promise<void> {
  const { child, id } = coordinator;
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await exited;
  }
  started.splice(started.indexOf(coordinator), 1);
  const nats = await connect({ servers: BENCH_SERVICES.natsUrl });
  try {
    const jsm = await jetstreamManager(nats);
    await jsm.streams.delete(satelliteEventStream(id).name).catch(() => false);
  } finally {
    await nats.close();
  }
  const redis = new Redis(BENCH_SERVICES.redisUrl);
  try {
    for (let cursor = "0"; ; ) {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${id}:*`, "COUNT", 1_000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
      if (cursor === "0") break;
    }
  } finally {
    redis.disconnect();
  }
  const server = new URL(BENCH_SERVICES.mysqlUrl);
  server.pathname = "/";
  const mysql = await createConnection({ uri: server.toString() });
  try {
    await mysql.query(`DROP DATABASE IF EXISTS \`sentra_${id}\``);
  } finally {
    await mysql.end();
  }
}

/** Stops every coordinator still running (a failed or interrupted bench). */
export async function stopAllBenchCoordinators(): Promise<void> {
  for (const coordinator of [...started]) await stopBenchCoordinator(coordinator);
}

/** One scrape of a coordinator's /metrics. */
export async function scrape(httpUrl: string): Promise<string> {
  return (await fetch(`${httpUrl}/metrics`)).text();
}

/** The sum of the samples of `name` whose labels include all of `labels` (0 when there is none). */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`))) {
      total += Number(line.slice(line.lastIndexOf(" ") + 1));
    }
  }
  return total;
}

/** A process's CPU time (user + system, seconds) and resident memory (bytes), from /proc. */
export function processUsage(pid: number): { cpuSeconds: number; rssBytes: number } {
  // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? Number.NaN);
  return { cpuSeconds: ticks / CLOCK_TICKS_PER_SECOND, rssBytes: rssKb * 1024 };
}

/** Linux's USER_HZ on every architecture Node supports. */
const CLOCK_TICKS_PER_SECOND = 100;

/** One JSON figure line: the printer is shared with the satellite's benches, in @sentra/common. */
export { type BenchFigure, printBenchFigure as printFigure } from "@sentra/common";

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The p-th percentile (0–100) of samples, nearest rank. */
export function percentile(samples: readonly number[], p: number): number {
  return percentiles(samples, [p])[0] as number;
}

/** Several percentiles (0–100) of samples, nearest rank, sorting once (millions of samples). */
export function percentiles(samples: readonly number[], ps: readonly number[]): number[] {
  if (samples.length === 0) return ps.map(() => Number.NaN);
  const sorted = Float64Array.from(samples).sort();
  return ps.map(
    (p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number,
  );
}
