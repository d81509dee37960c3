import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { credentials } from "@grpc/grpc-js";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { createDevelopmentPki, type IssuedCertificate, printBenchFigure, tlsEnvironmentOf } from "@sentra/common";
import { generateApiToken } from "@sentra/coordinator";
import {
  CoordinatorService,
  createServiceClient,
  type Migration,
  MigrationState,
  msOf,
  satelliteEventStream,
} from "@sentra/proto";
import { Redis } from "ioredis";
import { createConnection } from "mysql2/promise";
import { componentMainScript } from "../component-main-script.js";

/**
 * Migration end-to-end benchmark: a real coordinator and satellite processes in simulated mode with
 * zero readiness delay, so the time from `Migrate` to DONE is what Sentra itself adds (dry run,
 * lock, 6 journal transactions, satellite gRPC calls, readiness polling, events).
 *
 * The estate is a chain of AWS regions whose prices halve from one to the next (pinned with
 * SENTRA_PRICE_OVERRIDES), so each of the 5 demo workloads that fit can move hop by hop down the
 * chain, each move paying: `--regions 4` gives 3 hops × 5 workloads = 15 sequential migrations.
 * Needs NATS, Redis and MySQL (NATS_URL, REDIS_URL, MYSQL_URL, localhost by default) and a build
 * (`npx tsc -b`).
 *
 * Output: one JSON figure line per figure on stdout (`npm run bench`), the text table on stderr.
 * Baseline of the end-to-end figures: the same migrations' journal span (first journalled step →
 * DONE, i.e. the sum of their phases as the coordinator recorded them), at the same percentile, so
 * the ratio is what the `Migrate` call and the `WatchMigrations` stream add on top of the saga.
 * The per-state figures are that baseline's breakdown and have no baseline of their own (there is
 * no same-run reference for one state: the readiness delay is already zero).
 */

const CHAIN = ["us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1", "ca-central-1"];
const WORKLOADS = ["search-indexer", "checkout-api", "payments-worker", "ledger-db-proxy", "storefront-web"];
/** @default 3.2 — m5.large/c5.large price of the first region, USD/h; halves at every hop. */
const FIRST_PRICE_USD = 3.2;

const { values } = parseArgs({
  options: {
    regions: { type: "string", default: "4" },
    // Accepted for `npm run bench -- --json`: the output is JSON lines either way.
    json: { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});
if (values.help) {
  process.stdout.write(
    "node bench/dist/migration/bench-migration-main.js [--regions 2..6]\n" +
      "Migrates 5 workloads hop by hop down a chain of regions (zero readiness delay) and reports Migrate → DONE times\n" +
      "as JSON figure lines {name, value, unit, baseline, ratio} on stdout (a table on stderr).\n",
  );
  process.exit(0);
}
const regionCount = Number(values.regions);
if (!Number.isInteger(regionCount) || regionCount < 2 || regionCount > CHAIN.length) {
  process.stderr.write(`--regions: must be a whole number from 2 to ${CHAIN.length}\n`);
  process.exit(2);
}

const natsUrl = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const mysqlBase = process.env.MYSQL_URL ?? "mysql://root@127.0.0.1:3306/sentra";
const id = `bench${randomBytes(3).toString("hex")}`;
const mysqlServer = new URL(mysqlBase);
mysqlServer.pathname = "/";
const mysqlUrl = new URL(mysqlBase);
mysqlUrl.pathname = `/sentra_${id}`;

interface Started {
  readonly child: ChildProcess;
  readonly line: Record<string, unknown>;
}

const children: ChildProcess[] = [];
const pkiDir = mkdtempSync(join(tmpdir(), "sentra-bench-pki-"));
process.once("exit", () => rmSync(pkiDir, { recursive: true, force: true }));

/** Starts a built component and resolves with the first log line matching `message`. */
function start(script: string, env: Record<string, string>, message: string): Promise<Started> {
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, SENTRA_LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(
      () => reject(new Error(`${script}: no "${message}" in 60 s:\n${output.slice(-2000)}`)),
      60_000,
    );
    const onData = (chunk: Buffer): void => {
      output += chunk.toString("utf8");
      for (const text of output.split("\n")) {
        if (!text.includes(`"msg":"${message}"`)) continue;
        clearTimeout(timer);
        child.stdout?.off("data", onData);
        child.stdout?.resume();
        resolve({ child, line: JSON.parse(text) as Record<string, unknown> });
        return;
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
    });
    child.once("exit", (code) => reject(new Error(`${script} exited (${code}):\n${output.slice(-2000)}`)));
  });
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  return (sorted[low] as number) + ((sorted[high] as number) - (sorted[low] as number)) * (rank - low);
}

function summary(samples: readonly number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    runs: sorted.length,
    p50Ms: percentile(sorted, 50),
    p95Ms: percentile(sorted, 95),
    minMs: sorted[0] ?? Number.NaN,
    maxMs: sorted.at(-1) ?? Number.NaN,
  };
}

const ADMIN_TOKEN = generateApiToken();

async function main(): Promise<void> {
  const regions = CHAIN.slice(0, regionCount);
  // Measured as deployed: the coordinator calls the satellites over mTLS.
  const pki = await createDevelopmentPki({ dir: pkiDir, satelliteIds: regions.map((region) => `aws-${region}`) });
  const tlsEnvironment = (holder: IssuedCertificate | undefined): Record<string, string> => {
    if (!holder) throw new Error("no certificate issued");
    return tlsEnvironmentOf(pki.caCertificatePath, holder);
  };
  // Coordinator first (it creates the database and schema); the satellites then start in parallel.
  const coordinator = await start(
    componentMainScript("@sentra/coordinator"),
    {
      ...tlsEnvironment(pki.coordinator),
      NATS_URL: natsUrl,
      REDIS_URL: redisUrl,
      MYSQL_URL: mysqlUrl.toString(),
      SENTRA_SUBJECT_PREFIX: id,
      SENTRA_REDIS_PREFIX: `${id}:`,
      SENTRA_GRPC_PORT: "0",
      SENTRA_HTTP_PORT: "0",
      SENTRA_PRICE_TTL_MS: "5000",
      SENTRA_INVENTORY_SYNC_INTERVAL_MS: "300",
      SENTRA_LOG_LEVEL: "info",
      // The bench's own admin token: given, so no token file is written into the working directory.
      SENTRA_ADMIN_TOKEN: ADMIN_TOKEN,
    },
    "coordinator started",
  );
  await Promise.all(
    regions.map((region, hop) => {
      const price = FIRST_PRICE_USD / 2 ** hop;
      return start(
        componentMainScript("@sentra/satellite"),
        {
          ...tlsEnvironment(pki.satellites.get(`aws-${region}`)),
          NATS_URL: natsUrl,
          SENTRA_CLOUD: "aws",
          SENTRA_REGION: region,
          SENTRA_SUBJECT_PREFIX: id,
          SENTRA_HEARTBEAT_INTERVAL_MS: "500",
          SENTRA_PRICE_INTERVAL_MS: "500",
          SENTRA_SIM_READINESS_DELAY_MS: "0",
          SENTRA_INSTANCE_TYPES: "m5.large,c5.large",
          SENTRA_PRICE_OVERRIDES: `m5.large=${price},c5.large=${price}`,
          SENTRA_LOG_LEVEL: "info",
        },
        "satellite started",
      );
    }),
  );
  const client = createServiceClient(
    CoordinatorService,
    `127.0.0.1:${coordinator.line.grpcPort as number}`,
    credentials.createInsecure(),
    { metadata: { authorization: `Bearer ${ADMIN_TOKEN}` } },
  );
  try {
    // Wait until every region is priced and every inventory pulled.
    for (const deadline = Date.now() + 30_000; ; ) {
      const [{ regions: priced }, { workloads }] = await Promise.all([
        client.listRegions({}),
        client.listWorkloads({}),
      ]);
      const ready =
        priced.filter((r) => !r.stale && r.prices.length > 0).length === regionCount &&
        new Set(workloads.map((w) => w.ref?.satelliteId)).size === regionCount;
      if (ready) break;
      if (Date.now() > deadline) throw new Error("the estate did not come up in 30 s");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    const totals: number[] = [];
    /** Per migration: its first journalled step → DONE, by the coordinator's clock. */
    const journalSpans: number[] = [];
    const perState = new Map<string, number[]>();
    for (let hop = 0; hop < regionCount - 1; hop++) {
      for (const name of WORKLOADS) {
        const startedAt = performance.now();
        const { migration } = await client.migrate({
          workload: { satelliteId: `aws-${regions[hop]}`, namespace: "default", name },
          targetRegion: `aws:${regions[hop + 1]}`,
          idempotencyKey: `${id}-${hop}-${name}`,
          requestedBy: "bench",
        });
        let last: Migration | undefined;
        for await (const message of client.watchMigrations({ id: migration?.id ?? "" }, { timeoutMs: 30_000 })) {
          last = message.migration;
        }
        const elapsed = performance.now() - startedAt;
        if (last?.state !== MigrationState.DONE) {
          throw new Error(`${name} hop ${hop}: ended ${last ? MigrationState[last.state] : "?"}: ${last?.error}`);
        }
        totals.push(elapsed);
        const first = last.steps[0];
        const done = last.steps.at(-1);
        if (first !== undefined && done !== undefined) journalSpans.push(msOf(done.at) - msOf(first.at));
        last.steps.forEach((step, index) => {
          const next = last?.steps[index + 1];
          if (next === undefined) return;
          const state = MigrationState[step.state];
          perState.set(state, [...(perState.get(state) ?? []), msOf(next.at) - msOf(step.at)]);
        });
      }
    }
    const total = summary(totals);
    const journal = summary(journalSpans);
    const states = [...perState].map(([state, samples]) => [state, summary(samples)] as const);
    const tag = `regions=${regionCount}`;
    const unit = `ms (${total.runs} migrations)`;
    printBenchFigure(`migration_e2e_p50{${tag}}`, total.p50Ms, unit, journal.p50Ms);
    printBenchFigure(`migration_e2e_p95{${tag}}`, total.p95Ms, unit, journal.p95Ms);
    printBenchFigure(`migration_e2e_min{${tag}}`, total.minMs, unit, journal.minMs);
    printBenchFigure(`migration_e2e_max{${tag}}`, total.maxMs, unit, journal.maxMs);
    for (const [state, s] of states) {
      printBenchFigure(`migration_state_p50{state=${state},${tag}}`, s.p50Ms, `ms (${s.runs} migrations)`);
      printBenchFigure(`migration_state_p95{state=${state},${tag}}`, s.p95Ms, `ms (${s.runs} migrations)`);
    }
    const row = (label: string, s: ReturnType<typeof summary>) =>
      `| ${label} | ${s.runs} | ${s.p50Ms.toFixed(1)} | ${s.p95Ms.toFixed(1)} | ${s.minMs.toFixed(1)} | ${s.maxMs.toFixed(1)} |`;
    process.stderr.write(
      [
        `Migration end to end (Migrate → DONE, watched over gRPC): node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? ""}, load ${loadavg()
          .map((l) => l.toFixed(1))
          .join(" ")}`,
        `${regionCount} simulated clusters, zero readiness delay, ${totals.length} sequential migrations`,
        "",
        "| span | runs | p50 ms | p95 ms | min ms | max ms |",
        "|---|---:|---:|---:|---:|---:|",
        row("Migrate call → DONE seen by a watcher", total),
        row("first journalled step → DONE (the baseline)", journal),
        ...states.map(([state, s]) => row(`in ${state} (journal time to the next step)`, s)),
        "",
      ].join("\n"),
    );
  } finally {
    client.close();
    await cleanup();
  }
}

async function cleanup(): Promise<void> {
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once("exit", () => resolve());
          child.kill("SIGTERM");
          setTimeout(() => child.kill("SIGKILL"), 5_000).unref();
        }),
    ),
  );
  const redis = new Redis(redisUrl);
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${id}:*`, "COUNT", 500);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
  const mysql = await createConnection({ uri: mysqlServer.toString() });
  try {
    await mysql.query(`DROP DATABASE IF EXISTS \`sentra_${id}\``);
  } finally {
    await mysql.end();
  }
  const nats = await connect({ servers: natsUrl });
  try {
    await (await jetstreamManager(nats)).streams.delete(satelliteEventStream(id).name).catch(() => false);
  } finally {
    await nats.close();
  }
}

main().catch(async (error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  await cleanup().catch(() => undefined);
  process.exit(1);
});
