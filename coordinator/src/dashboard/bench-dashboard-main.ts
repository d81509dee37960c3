import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { create, toBinary } from "@bufbuild/protobuf";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import {
  createDevelopmentPki,
  DASHBOARD_SOCKET_NAMESPACE,
  type DashboardDelta,
  type DashboardServerEvents,
  type DashboardSnapshot,
  tlsEnvironmentOf,
} from "@sentra/common";
import {
  HealthSummarySchema,
  PriceSnapshotSchema,
  PriceSource,
  SatelliteStatus,
  satelliteEventStream,
  satelliteSubject,
  timestampFromMs,
} from "@sentra/proto";
import { Redis } from "ioredis";
import { createConnection } from "mysql2/promise";
import { chromium } from "playwright-core";
import { io, type Socket } from "socket.io-client";
import { generateApiToken } from "../security/api-token-store.js";

/**
 * Dashboard benchmark: N simulated satellites heartbeating over real NATS (one process publishes
 * for all, distinct ids, spread evenly over each 2 s heartbeat interval) into a real coordinator
 * process; M Socket.IO clients and one headless Chromium page signed in to it. Reports
 *
 * - publish → applied latency: from the moment a heartbeat is published to NATS to the moment a
 *   client has applied the delta carrying it (p50/p95/p99), for the socket clients and for the page
 *   (through the page's own store, via the `window.__sentraProbe` hook); for the socket clients also
 *   the part from the coordinator's receipt of the heartbeat (the dashboard path alone);
 * - the page's frame time with N markers on the globe (requestAnimationFrame deltas);
 * - the coordinator's delta rate and the event-loop time each broadcast costs it.
 *
 * Needs NATS, Redis, MySQL (NATS_URL, REDIS_URL, MYSQL_URL; localhost by default), Chromium
 * (SENTRA_CHROMIUM, default /usr/bin/chromium) and a build (`npm run build`).
 */

const { values } = parseArgs({
  options: {
    satellites: { type: "string", default: "1000" },
    clients: { type: "string", default: "50" },
    seconds: { type: "string", default: "15" },
    "no-browser": { type: "boolean", default: false },
    json: { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});
if (values.help) {
  process.stdout.write(
    "node coordinator/dist/dashboard/bench-dashboard-main.js [--satellites 1000] [--clients 50] [--seconds 15] [--no-browser] [--json]\n" +
      "Heartbeats N simulated satellites through NATS into a coordinator and measures publish → applied latency in\n" +
      "M Socket.IO clients and a Chromium page, and the page's frame time with N markers.\n",
  );
  process.exit(0);
}
const satelliteCount = wholeNumber("satellites", values.satellites, 1, 5_000);
const clientCount = wholeNumber("clients", values.clients, 0, 2_000);
const measureSeconds = wholeNumber("seconds", values.seconds, 3, 600);
const withBrowser = !values["no-browser"];

/** @default 2000 — the production heartbeat interval. */
const HEARTBEAT_INTERVAL_MS = 2_000;
/** Seconds of steady state after every satellite has reached the clients, before measuring. */
const SETTLE_SECONDS = 4;
/** How long the page's frame time and latency are sampled, in ms. */
const PAGE_MEASURE_MS = 8_000;
/** The estate must be complete (every satellite seen by a client) within this long. */
const WARMUP_TIMEOUT_SECONDS = 120;
/** The bench's admin token (SENTRA_ADMIN_TOKEN): the sockets and the page sign in with it. */
const TOKEN = generateApiToken();

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../../..");
const CHROMIUM_PATH = process.env.SENTRA_CHROMIUM ?? "/usr/bin/chromium";
const natsUrl = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const mysqlBase = process.env.MYSQL_URL ?? "mysql://root@127.0.0.1:3306/sentra";
const id = `dbench${randomBytes(3).toString("hex")}`;
const mysqlUrl = new URL(mysqlBase);
mysqlUrl.pathname = `/sentra_${id}`;

function wholeNumber(name: string, text: string | undefined, min: number, max: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    process.stderr.write(`--${name}: must be a whole number from ${min} to ${max}\n`);
    process.exit(2);
  }
  return value;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

function summary(samples: readonly number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const round = (value: number): number => Math.round(value * 10) / 10;
  return {
    samples: sorted.length,
    p50Ms: round(percentile(sorted, 50)),
    p95Ms: round(percentile(sorted, 95)),
    p99Ms: round(percentile(sorted, 99)),
    maxMs: round(sorted.at(-1) ?? Number.NaN),
  };
}

/** Satellite `i` of `n`: an id and a point of a Fibonacci lattice, so markers cover the globe evenly. */
function satellite(i: number, n: number) {
  const y = 1 - (2 * (i + 0.5)) / n;
  const latitude = (Math.asin(y) * 180) / Math.PI;
  const longitude = ((((i * 137.50776405) % 360) + 540) % 360) - 180;
  const name = `bench-${String(i).padStart(4, "0")}`;
  return { id: `aws-${name}`, region: { cloud: "aws", name, displayName: name, city: name, latitude, longitude } };
}

const children: ChildProcess[] = [];

async function startCoordinator(): Promise<{ httpUrl: string }> {
  // As deployed: the coordinator's satellite links are mTLS (a development PKI for the run).
  const pkiDir = mkdtempSync(join(tmpdir(), "sentra-bench-pki-"));
  process.once("exit", () => rmSync(pkiDir, { recursive: true, force: true }));
  const pki = await createDevelopmentPki({ dir: pkiDir, satelliteIds: [] });
  // e.g. BENCH_COORDINATOR_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the coordinator.
  const nodeArgs = (process.env.BENCH_COORDINATOR_NODE_ARGS ?? "").split(" ").filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, join(ROOT, "coordinator/dist/main.js")], {
    env: {
      ...process.env,
      ...tlsEnvironmentOf(pki.caCertificatePath, pki.coordinator),
      NATS_URL: natsUrl,
      REDIS_URL: redisUrl,
      MYSQL_URL: mysqlUrl.toString(),
      SENTRA_SUBJECT_PREFIX: id,
      SENTRA_REDIS_PREFIX: `${id}:`,
      SENTRA_GRPC_PORT: "0",
      SENTRA_HTTP_PORT: "0",
      SENTRA_ADMIN_TOKEN: TOKEN,
      SENTRA_PRICE_TTL_MS: "600000",
      SENTRA_LOG_LEVEL: "info",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(
      () => reject(new Error(`coordinator did not start in 60 s:\n${output.slice(-2000)}`)),
      60_000,
    );
    const onData = (chunk: Buffer): void => {
      output += chunk.toString("utf8");
      const line = output.split("\n").find((text) => text.includes('"msg":"coordinator started"'));
      if (!line) return;
      clearTimeout(timer);
      child.stdout?.off("data", onData);
      child.stdout?.resume();
      resolve(JSON.parse(line) as { httpUrl: string });
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
    });
    child.once("exit", (code) => reject(new Error(`coordinator exited (${code}):\n${output.slice(-2000)}`)));
  });
}

/** One counter of the coordinator's /metrics (the series whose labels include `labels`). */
async function counter(httpUrl: string, name: string, labels: string): Promise<number> {
  const text = await (await fetch(`${httpUrl}/metrics`)).text();
  const line = text.split("\n").find((row) => row.startsWith(`${name}{`) && row.includes(labels));
  return line ? Number(line.slice(line.lastIndexOf(" ") + 1)) : 0;
}

/** Sum and count of one Prometheus histogram series, read from the coordinator's /metrics. */
async function histogram(httpUrl: string, name: string, labels: string): Promise<{ sum: number; count: number }> {
  const text = await (await fetch(`${httpUrl}/metrics`)).text();
  const read = (suffix: string): number => {
    const line = text.split("\n").find((row) => row.startsWith(`${name}_${suffix}{`) && row.includes(labels));
    return line ? Number(line.slice(line.lastIndexOf(" ") + 1)) : 0;
  };
  return { sum: read("sum"), count: read("count") };
}

async function main(): Promise<void> {
  const started = Date.now();
  const { httpUrl } = await startCoordinator();
  // To look at the estate while the bench runs: BENCH_PRINT_ACCESS=1 prints where and with what token.
  if (process.env.BENCH_PRINT_ACCESS) process.stderr.write(`dashboard ${httpUrl} token ${TOKEN}\n`);
  const nats = await connect({ servers: natsUrl });
  const fleet = Array.from({ length: satelliteCount }, (_, i) => satellite(i, satelliteCount));
  /** `<satelliteId>#<sequence>` → wall clock (ms) when that heartbeat was published. */
  const publishedAt = new Map<string, number>();
  const sequences = new Map<string, number>();
  /** Heartbeats published while this is set are timed. */
  let measuring = false;
  /** Socket clients record latencies while this is set (phase 1). */
  let measuringSockets = false;

  const publishHeartbeat = (member: (typeof fleet)[number]): void => {
    const sequence = (sequences.get(member.id) ?? 0) + 1;
    sequences.set(member.id, sequence);
    const now = Date.now();
    const payload = toBinary(
      HealthSummarySchema,
      create(HealthSummarySchema, {
        satelliteId: member.id,
        region: member.region,
        sequence,
        sentAt: timestampFromMs(now),
        status: SatelliteStatus.OK,
        heartbeatIntervalMs: HEARTBEAT_INTERVAL_MS,
        version: "bench",
        clusters: [{ cluster: "sim", reachable: true, workloads: 3, desiredReplicas: 9, readyReplicas: 9 }],
      }),
    );
    if (measuring) publishedAt.set(`${member.id}#${sequence}`, now);
    nats.publish(satelliteSubject(member.id, "health", id), payload);
  };
  // One price snapshot per satellite, so labels and the ranking have something to show.
  for (const member of fleet) {
    const prices = ["m5.large", "c5.large"].map((instanceType, index) => ({
      cloud: "aws",
      region: member.region.name,
      zone: `${member.region.name}a`,
      instanceType,
      usdPerHour: 0.03 + 0.02 * Math.random() + index * 0.01,
      vcpus: 2,
      memoryGib: 8 - index * 4,
      source: PriceSource.MODEL,
    }));
    nats.publish(
      satelliteSubject(member.id, "price", id),
      toBinary(
        PriceSnapshotSchema,
        create(PriceSnapshotSchema, { satelliteId: member.id, region: member.region, prices }),
      ),
    );
  }
  // Heartbeats spread evenly: one satellite every interval/N ms (500 a second for 1,000).
  let next = 0;
  const tickMs = 10;
  const perTick = Math.max(1, Math.round((satelliteCount * tickMs) / HEARTBEAT_INTERVAL_MS));
  const heartbeats = setInterval(() => {
    for (let i = 0; i < perTick; i++) {
      publishHeartbeat(fleet[next] as (typeof fleet)[number]);
      next = (next + 1) % fleet.length;
    }
  }, tickMs);

  // Socket.IO clients, each applying deltas to a map like the page does.
  const socketLatencies: number[] = [];
  const gatewayLatencies: number[] = [];
  const sockets: Socket[] = [];
  for (let i = 0; i < clientCount; i++) {
    const socket: Socket<DashboardServerEvents> = io(`${httpUrl}${DASHBOARD_SOCKET_NAMESPACE}`, {
      auth: { token: TOKEN },
      forceNew: true,
      transports: ["websocket"],
    });
    const state = new Map<string, unknown>();
    socket.on("snapshot", (snapshot: DashboardSnapshot) => {
      state.clear();
      for (const view of snapshot.topics.satellites) state.set(view.id, view);
    });
    socket.on("delta", (delta: DashboardDelta) => {
      for (const view of delta.changes.satellites?.upsert ?? []) state.set(view.id, view);
      const appliedAt = Date.now();
      if (!measuringSockets) return;
      for (const view of delta.changes.satellites?.upsert ?? []) {
        const sent = publishedAt.get(`${view.id}#${view.heartbeatSequence}`);
        if (sent === undefined) continue;
        socketLatencies.push(appliedAt - sent);
        // The coordinator's receive time (same clock): what the dashboard path alone adds.
        gatewayLatencies.push(appliedAt - view.lastSeenAtMs);
      }
    });
    sockets.push(socket);
  }

  // Warm-up: every satellite known to an observer client (the coordinator has ingested the whole
  // fleet, first heartbeats included), then a few seconds of steady state.
  const observer = new Set<string>();
  const observerSocket: Socket<DashboardServerEvents> = io(`${httpUrl}${DASHBOARD_SOCKET_NAMESPACE}`, {
    auth: { token: TOKEN },
    forceNew: true,
    transports: ["websocket"],
  });
  observerSocket.on("snapshot", (snapshot: DashboardSnapshot) => {
    for (const view of snapshot.topics.satellites) observer.add(view.id);
  });
  observerSocket.on("delta", (delta: DashboardDelta) => {
    for (const view of delta.changes.satellites?.upsert ?? []) observer.add(view.id);
  });
  sockets.push(observerSocket);
  const warmupDeadline = Date.now() + WARMUP_TIMEOUT_SECONDS * 1_000;
  while (observer.size < satelliteCount) {
    if (Date.now() > warmupDeadline) throw new Error(`only ${observer.size} of ${satelliteCount} satellites arrived`);
    await sleep(200);
  }
  const warmupSeconds = Math.round((Date.now() - started) / 1_000);
  await sleep(SETTLE_SECONDS * 1_000);

  // Phase 1, the socket path: no browser yet (its software rendering would take a core from the
  // coordinator on a small machine).
  const emitBefore = await histogram(httpUrl, "sentra_coordinator_dashboard_emit_duration_seconds", 'event="delta"');
  const ingestedBefore = await counter(httpUrl, "sentra_coordinator_nats_messages_total", 'kind="health"');
  measuring = true;
  measuringSockets = true;
  const measureStart = Date.now();
  await sleep(measureSeconds * 1_000);
  measuringSockets = false;
  measuring = false;
  const measuredMs = Date.now() - measureStart;
  const emitAfter = await histogram(httpUrl, "sentra_coordinator_dashboard_emit_duration_seconds", 'event="delta"');
  const ingested = (await counter(httpUrl, "sentra_coordinator_nats_messages_total", 'kind="health"')) - ingestedBefore;

  // Phase 2, the page: signed in through sessionStorage, instrumented through window.__sentraProbe;
  // its frame time with every region on the globe, and publish → applied in its own store.
  const browser = withBrowser
    ? await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS })
    : undefined;
  const page = browser ? await browser.newPage({ viewport: { width: 1440, height: 900 } }) : undefined;
  const pageLatencies: number[] = [];
  let frameTimes: number[] = [];
  let markers = 0;
  let pageState: { status: string; snapshots: number; applied: number } | undefined;
  if (page) {
    await page.addInitScript(
      `sessionStorage.setItem("sentra.dashboard.token", ${JSON.stringify(TOKEN)});
       window.__benchApplied = [];
       window.__sentraProbe = { deltaApplied(delta, appliedAtMs) {
         for (const view of (delta.changes.satellites && delta.changes.satellites.upsert) || [])
           window.__benchApplied.push([view.id, view.heartbeatSequence, appliedAtMs]);
       } };`,
    );
    await page.goto(httpUrl);
    await page.locator('[data-testid="connection-status"][data-status="live"]').waitFor({ timeout: 60_000 });
    await sleep(SETTLE_SECONDS * 1_000);
    await page.evaluate("window.__benchApplied = []");
    measuring = true;
    frameTimes = (await page.evaluate(`new Promise((resolve) => {
      const deltas = []; let last = performance.now(); const end = last + ${PAGE_MEASURE_MS};
      const frame = (now) => { deltas.push(now - last); last = now; if (now < end) requestAnimationFrame(frame); else resolve(deltas); };
      requestAnimationFrame(frame);
    })`)) as number[];
    measuring = false;
    const applied = (await page.evaluate("window.__benchApplied")) as Array<[string, number, number]>;
    for (const [satelliteId, sequence, appliedAt] of applied) {
      const sent = publishedAt.get(`${satelliteId}#${sequence}`);
      if (sent !== undefined) pageLatencies.push(appliedAt - sent);
    }
    markers = await page.locator('[data-testid^="region-marker-"]').count();
    pageState = (await page.evaluate(
      `(() => { const s = document.querySelector('[data-testid="connection-status"]'); return { status: s?.dataset.status, snapshots: Number(s?.dataset.snapshots), applied: window.__benchApplied.length }; })()`,
    )) as typeof pageState;
  }

  const deltas = emitAfter.count - emitBefore.count;
  const result = {
    satellites: satelliteCount,
    heartbeatsPerSecond: Math.round(satelliteCount / (HEARTBEAT_INTERVAL_MS / 1_000)),
    socketClients: clientCount,
    measuredSeconds: Math.round(measuredMs / 100) / 10,
    warmupSeconds,
    socketPublishToApplied: summary(socketLatencies),
    socketIngestedToApplied: summary(gatewayLatencies),
    pagePublishToApplied: page ? summary(pageLatencies) : undefined,
    pageMarkers: page ? markers : undefined,
    pageState,
    pageFrameTime: page ? summary(frameTimes.slice(1)) : undefined,
    coordinator: {
      heartbeatsIngestedPerSecond: Math.round((ingested / measuredMs) * 1_000),
      deltasPerSecond: Math.round((deltas / measuredMs) * 10_000) / 10,
      emitMsPerDelta: deltas > 0 ? Math.round(((emitAfter.sum - emitBefore.sum) / deltas) * 100_000) / 100 : Number.NaN,
    },
    machine: { cpus: cpus().length, loadAverage1m: Math.round((loadavg()[0] ?? 0) * 100) / 100 },
    totalSeconds: Math.round((Date.now() - started) / 1_000),
  };

  clearInterval(heartbeats);
  for (const socket of sockets) socket.disconnect();
  await browser?.close();
  await nats.drain();

  if (values.json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }
  const line = (label: string, s: ReturnType<typeof summary> | undefined): string =>
    s
      ? `${label.padEnd(40)} p50 ${s.p50Ms} ms  p95 ${s.p95Ms} ms  p99 ${s.p99Ms} ms  max ${s.maxMs} ms  (${s.samples})`
      : "";
  process.stdout.write(
    `${[
      `${satelliteCount} satellites (${result.heartbeatsPerSecond} heartbeats/s), ${clientCount} socket clients, ${result.measuredSeconds} s measured after ${warmupSeconds} s of warm-up`,
      line("publish → applied, socket clients", result.socketPublishToApplied),
      line("  of which coordinator receipt → applied", result.socketIngestedToApplied),
      line("publish → applied, Chromium page", result.pagePublishToApplied),
      page ? line(`frame time, page with ${markers} markers`, result.pageFrameTime) : "",
      pageState
        ? `page: ${pageState.status}, ${pageState.snapshots} snapshot(s), ${pageState.applied} satellite updates applied`
        : "",
      `coordinator: ${result.coordinator.heartbeatsIngestedPerSecond} heartbeats ingested/s, ${result.coordinator.deltasPerSecond} deltas/s, ${result.coordinator.emitMsPerDelta} ms of event loop per broadcast`,
      `machine: ${result.machine.cpus} CPUs, load average ${result.machine.loadAverage1m}`,
    ]
      .filter(Boolean)
      .join("\n")}\n`,
  );
}

const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
];

async function cleanUp(): Promise<void> {
  for (const child of children) child.kill("SIGTERM");
  await Promise.all(
    children.map((child) =>
      child.exitCode === null && child.signalCode === null
        ? new Promise((resolve) => child.once("exit", resolve))
        : undefined,
    ),
  );
  // The coordinator created this run's JetStream event stream.
  const nats = await connect({ servers: natsUrl });
  try {
    const jsm = await jetstreamManager(nats);
    await jsm.streams.delete(satelliteEventStream(id).name).catch(() => false);
  } finally {
    await nats.close();
  }
  const redis = new Redis(redisUrl);
  try {
    const keys = await redis.keys(`${id}:*`);
    if (keys.length > 0) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
  const server = new URL(mysqlBase);
  server.pathname = "/";
  const mysql = await createConnection({ uri: server.toString() });
  try {
    await mysql.query(`DROP DATABASE IF EXISTS \`sentra_${id}\``);
  } finally {
    await mysql.end();
  }
}

// Interrupted: still stop the coordinator and remove the bench's keys and database.
let interrupted = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (interrupted) return; // a second signal (Ctrl-C twice, a wrapper forwarding it) waits too
    interrupted = true;
    void cleanUp().finally(() => process.exit(130));
  });
}

main()
  .catch((error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  })
  .finally(() => cleanUp().then(() => process.exit()));
