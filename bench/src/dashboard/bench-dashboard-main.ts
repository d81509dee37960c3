import { randomBytes } from "node:crypto";
import { cpus, loadavg } from "node:os";
import { parseArgs } from "node:util";
import { create, toBinary } from "@bufbuild/protobuf";
import { connect } from "@nats-io/transport-node";
import {
  DASHBOARD_SOCKET_NAMESPACE,
  type DashboardDelta,
  type DashboardServerEvents,
  type DashboardSnapshot,
} from "@sentra/common";
import { generateApiToken } from "@sentra/coordinator";
import {
  HealthSummarySchema,
  PriceSnapshotSchema,
  PriceSource,
  readHealthSummary,
  SatelliteStatus,
  satelliteSubject,
  satelliteWildcard,
  timestampFromMs,
} from "@sentra/proto";
import { type Browser, chromium } from "playwright-core";
import { io, type Socket } from "socket.io-client";
import {
  BENCH_SERVICES,
  metricValue,
  percentiles,
  printFigure,
  processUsage,
  scrape,
  sleep,
  startBenchCoordinator,
  stopAllBenchCoordinators,
} from "../bench-coordinator.js";
import { skippingSocketParser } from "./skipping-socket-parser.js";

/**
 * Dashboard benchmark: N simulated satellites heartbeating over real NATS (one process publishes
 * for all, distinct ids, spread evenly over each 2 s heartbeat interval) into a real coordinator
 * process; M Socket.IO clients (`forceNew`, one connection each) and one headless Chromium page
 * signed in to it. One JSON line per figure {name, value, unit, baseline, ratio} on stdout (tagged
 * `{satellites=N,clients=M}`), a table on stderr:
 *
 * - `dashboard_publish_to_applied_p50_ms` (p95, p99): from the moment a heartbeat is published to
 *   NATS to the moment a socket client has applied the delta carrying it; `dashboard_ingested_to_
 *   applied_*`: the part from the coordinator's receipt of the heartbeat (the dashboard path alone).
 *   Baseline: the same percentile of publish → received of a plain NATS subscriber in this process
 *   on the same heartbeat subjects, during the same seconds — the transport floor on this machine
 *   under the same load, so the ratio is what the dashboard path costs over raw NATS;
 * - `dashboard_p95_vs_target_ms`: the socket clients' p95 against the 50 ms target;
 * - `dashboard_page_publish_to_applied_*` through the page's own store (the `window.__sentraProbe`
 *   hook), baseline raw NATS while the page was measured; `dashboard_page_frame_ms_*`, its frame time
 *   with N markers (requestAnimationFrame deltas), baseline a blank page in the same browser;
 * - the coordinator's delta rate, event-loop time per broadcast, current delta interval, heartbeats
 *   ingested per second (baseline: heartbeats published per second in the same seconds), CPU and RSS;
 *   `dashboard_clients_connected` (baseline: M), so a client count the OS or the coordinator refused
 *   shows.
 *
 * Needs NATS, Redis, MySQL (NATS_URL, REDIS_URL, MYSQL_URL; localhost by default), Chromium
 * (SENTRA_CHROMIUM, default /usr/bin/chromium; `--no-browser` without) and a build (`npm run build`).
 * 1,000 clients take 1,000 file descriptors here and as many in the coordinator (`ulimit -n`).
 */

const { values } = parseArgs({
  options: {
    satellites: { type: "string", default: "1000" },
    clients: { type: "string", default: "50" },
    "timed-clients": { type: "string", default: "50" },
    seconds: { type: "string", default: "15" },
    "no-browser": { type: "boolean", default: false },
    json: { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});
if (values.help) {
  process.stdout.write(
    "node bench/dist/dashboard/bench-dashboard-main.js [--satellites 1000] [--clients 50] [--timed-clients 50] [--seconds 15] [--no-browser]\n" +
      "Heartbeats N simulated satellites through NATS into a coordinator and measures publish → applied latency in\n" +
      "M Socket.IO clients and a Chromium page, and the page's frame time with N markers; one JSON line per figure\n" +
      "{name, value, unit, baseline, ratio} on stdout, the latency baseline raw NATS pub→sub in the same run.\n" +
      "--timed-clients: how many of the M clients decode, apply and time every delta; the others receive every frame\n" +
      "without decoding it (the coordinator's cost is the same), because a thousand decoders in this one process\n" +
      "would time the bench, not the coordinator.\n" +
      "--json is accepted and changes nothing.\n",
  );
  process.exit(0);
}
const satelliteCount = wholeNumber("satellites", values.satellites, 1, 5_000);
const clientCount = wholeNumber("clients", values.clients, 0, 2_000);
const measureSeconds = wholeNumber("seconds", values.seconds, 3, 600);
const TIMED_CLIENTS = Math.min(clientCount, wholeNumber("timed-clients", values["timed-clients"], 0, 2_000));
const withBrowser = !values["no-browser"];

/** @default 2000 — the production heartbeat interval. */
const HEARTBEAT_INTERVAL_MS = 2_000;
/** Seconds of steady state after every satellite has reached the clients, before measuring. */
const SETTLE_SECONDS = 4;
/** How long the page's frame time and latency are sampled, in ms. */
const PAGE_MEASURE_MS = 8_000;
/** How long a blank page's frame time (the frame-time baseline) is sampled, in ms. */
const BLANK_MEASURE_MS = 3_000;
/** The estate must be complete (every satellite seen by a client) and the clients connected within this long. */
const WARMUP_TIMEOUT_SECONDS = 120;
/**
 * @default 50 — clients that decode and apply every delta and are timed; the others only receive
 * them (skippingSocketParser), snapshots included. Every decoder runs in this one process: 1,000
 * of them saturate its event loop on a small machine (they miss engine.io's pings and are
 * dropped), while a real client decodes on its own. The coordinator frames and writes to every
 * socket alike.
 */

/** Clients connect this many at a time, each batch with its snapshot before the next. */
const CONNECT_BATCH = 50;
/** @default 50 — the target for publish → applied at p95 (docs/dashboard.md). */
const TARGET_P95_MS = 50;
/** The bench's admin token (SENTRA_ADMIN_TOKEN): the sockets and the page sign in with it. */
const TOKEN = generateApiToken();

const CHROMIUM_PATH = process.env.SENTRA_CHROMIUM ?? "/usr/bin/chromium";
const id = `dbench${randomBytes(3).toString("hex")}`;
const TAG = `satellites=${satelliteCount},clients=${clientCount},timed=${TIMED_CLIENTS}`;

function wholeNumber(name: string, text: string | undefined, min: number, max: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    process.stderr.write(`--${name}: must be a whole number from ${min} to ${max}\n`);
    process.exit(2);
  }
  return value;
}

/** Wall clock in ms with sub-ms resolution (raw NATS takes well under a millisecond). */
function now(): number {
  return performance.timeOrigin + performance.now();
}

/** Satellite `i` of `n`: an id and a point of a Fibonacci lattice, so markers cover the globe evenly. */
function satellite(i: number, n: number) {
  const y = 1 - (2 * (i + 0.5)) / n;
  const latitude = (Math.asin(y) * 180) / Math.PI;
  const longitude = ((((i * 137.50776405) % 360) + 540) % 360) - 180;
  const name = `bench-${String(i).padStart(4, "0")}`;
  return { id: `aws-${name}`, region: { cloud: "aws", name, displayName: name, city: name, latitude, longitude } };
}

const LEVELS = [50, 95, 99] as const;

/**
 * Prints `<name>_p50_ms{TAG}` (p95, p99) of samples, each against the same percentile of
 * `baseline`'s samples; returns the percentiles for the table.
 */
function printPercentiles(name: string, samples: readonly number[], baseline: readonly number[]): number[] {
  const measured = percentiles(samples, LEVELS);
  const floors = percentiles(baseline, LEVELS);
  LEVELS.forEach((level, i) => {
    printFigure(`${name}_p${level}_ms{${TAG}}`, measured[i] as number, `ms (${samples.length} samples)`, floors[i]);
  });
  return measured;
}

/** A stderr table row: p50/p95/p99 and the sample count. */
function row(label: string, values: readonly number[], samples: number): string {
  const [p50, p95, p99] = values.map((value) => value.toFixed(1));
  return `${label.padEnd(44)} p50 ${p50} ms  p95 ${p95} ms  p99 ${p99} ms  (${samples})`;
}

/** Table rows go to stderr (stdout is figure lines only). */
function writeRows(rows: readonly string[]): void {
  process.stderr.write(`${rows.join("\n")}\n`);
}

/** requestAnimationFrame deltas for `ms`, as a script for page.evaluate. */
function frameTimesScript(ms: number): string {
  return `new Promise((resolve) => {
      const deltas = []; let last = performance.now(); const end = last + ${ms};
      const frame = (now) => { deltas.push(now - last); last = now; if (now < end) requestAnimationFrame(frame); else resolve(deltas); };
      requestAnimationFrame(frame);
    })`;
}

type Phase = "sockets" | "page";

async function main(): Promise<void> {
  const started = Date.now();
  const coordinator = await startBenchCoordinator({
    id,
    adminToken: TOKEN,
    env: { SENTRA_PRICE_TTL_MS: "600000" },
  });
  const { httpUrl } = coordinator;
  const pid = coordinator.child.pid as number;
  // To look at the estate while the bench runs: BENCH_PRINT_ACCESS=1 prints where and with what token.
  if (process.env.BENCH_PRINT_ACCESS) process.stderr.write(`dashboard ${httpUrl} token ${TOKEN}\n`);
  const nats = await connect({ servers: BENCH_SERVICES.natsUrl });
  const rawNats = await connect({ servers: BENCH_SERVICES.natsUrl });
  const sockets: Socket[] = [];
  let browser: Browser | undefined;
  let heartbeats: NodeJS.Timeout | undefined;
  try {
    if (withBrowser) {
      // The page is the dashboard workspace's build (vite), which `tsc -b` does not make: say so
      // now rather than after the warm-up, when the page would wait a minute for a live status.
      const page = await fetch(`${httpUrl}/`);
      if (!page.ok)
        throw new Error(
          `the coordinator does not serve the dashboard page (HTTP ${page.status}): run npm run build, or pass --no-browser`,
        );
    }
    const fleet = Array.from({ length: satelliteCount }, (_, i) => satellite(i, satelliteCount));
    /** `<satelliteId>#<sequence>` → wall clock (ms) when that heartbeat was published. */
    const publishedAt = new Map<string, number>();
    const sequences = new Map<string, number>();
    let published = 0;
    /** Heartbeats published while this is set are timed, and the clients of that phase record. */
    let phase: Phase | undefined;

    const publishHeartbeat = (member: (typeof fleet)[number]): void => {
      const sequence = (sequences.get(member.id) ?? 0) + 1;
      sequences.set(member.id, sequence);
      const sentAt = now();
      const payload = toBinary(
        HealthSummarySchema,
        create(HealthSummarySchema, {
          satelliteId: member.id,
          region: member.region,
          sequence,
          sentAt: timestampFromMs(Math.floor(sentAt)),
          status: SatelliteStatus.OK,
          heartbeatIntervalMs: HEARTBEAT_INTERVAL_MS,
          version: "bench",
          clusters: [{ cluster: "sim", reachable: true, workloads: 3, desiredReplicas: 9, readyReplicas: 9 }],
        }),
      );
      if (phase) publishedAt.set(`${member.id}#${sequence}`, sentAt);
      published++;
      nats.publish(satelliteSubject(member.id, "health", id), payload);
    };

    // The baseline: a plain subscriber (its own connection, as the coordinator has) on the same
    // heartbeat subjects, decoding each as the coordinator does; publish → received per phase.
    const rawLatencies: Record<Phase, number[]> = { sockets: [], page: [] };
    rawNats.subscribe(satelliteWildcard("health", id), {
      callback: (error, message) => {
        if (error || !phase) return;
        const receivedAt = now();
        const heartbeat = readHealthSummary(message.data);
        const sent = publishedAt.get(`${heartbeat.satelliteId}#${heartbeat.sequence}`);
        if (sent !== undefined) rawLatencies[phase].push(receivedAt - sent);
      },
    });
    await rawNats.flush();

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
    heartbeats = setInterval(() => {
      for (let i = 0; i < perTick; i++) {
        publishHeartbeat(fleet[next] as (typeof fleet)[number]);
        next = (next + 1) % fleet.length;
      }
    }, tickMs);

    // Warm-up: every satellite known to an observer client (the coordinator has ingested the whole
    // fleet, first heartbeats included).
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

    // Socket.IO clients, each applying deltas to a map like the page does.
    const socketLatencies: number[] = [];
    const gatewayLatencies: number[] = [];
    const batchedLatencies: number[] = [];
    const deliveryLatencies: number[] = [];
    const clients = { withSnapshot: 0, connectErrors: 0, disconnects: 0, lastError: "" };
    let skippedChars = 0;
    // Load-only clients skip the snapshot too (the whole estate, ≈ 0.5 MB at 1,000 satellites, a
    // JSON.parse each that 1,000 clients in this process cannot afford), noting only that it came.
    const loadParser = (onSnapshot: () => void) =>
      skippingSocketParser(["delta", "snapshot"], (event, chars) => {
        if (event === "snapshot") onSnapshot();
        else if (phase === "sockets") skippedChars += chars;
      });
    const connectClient = (): void => {
      const timed = sockets.length - 1 < TIMED_CLIENTS;
      let snapshots = 0;
      const gotSnapshot = (): void => {
        if (snapshots++ === 0) clients.withSnapshot++;
      };
      const socket: Socket<DashboardServerEvents> = io(`${httpUrl}${DASHBOARD_SOCKET_NAMESPACE}`, {
        auth: { token: TOKEN },
        forceNew: true,
        transports: ["websocket"],
        ...(timed ? {} : { parser: loadParser(gotSnapshot) }),
      });
      const state = new Map<string, unknown>();
      socket.on("snapshot", (snapshot: DashboardSnapshot) => {
        gotSnapshot();
        state.clear();
        for (const view of snapshot.topics.satellites) state.set(view.id, view);
      });
      socket.on("delta", (delta: DashboardDelta) => {
        for (const view of delta.changes.satellites?.upsert ?? []) state.set(view.id, view);
        const appliedAt = now();
        if (phase !== "sockets") return;
        for (const view of delta.changes.satellites?.upsert ?? []) {
          const sent = publishedAt.get(`${view.id}#${view.heartbeatSequence}`);
          if (sent === undefined) continue;
          socketLatencies.push(appliedAt - sent);
          // The coordinator's receive time (same clock): what the dashboard path alone adds.
          gatewayLatencies.push(appliedAt - view.lastSeenAtMs);
          // Split at the delta's send time: ingest and batching, then writes, transport and decoding.
          batchedLatencies.push(delta.sentAtMs - view.lastSeenAtMs);
          deliveryLatencies.push(appliedAt - delta.sentAtMs);
        }
      });
      socket.on("connect_error", (error: Error) => {
        clients.connectErrors++;
        clients.lastError = error.message;
      });
      socket.on("disconnect", (reason: string) => {
        clients.disconnects++;
        clients.lastError = reason;
      });
      sockets.push(socket);
    };
    // In batches, each with its snapshot before the next: all at once, the snapshots (the whole
    // estate each) pile up in the coordinator and the clients time out and reconnect for more.
    // After the deadline the bench goes on; dashboard_clients_connected says how many made it.
    while (sockets.length - 1 < clientCount) {
      const batch = Math.min(CONNECT_BATCH, clientCount - (sockets.length - 1));
      for (let i = 0; i < batch; i++) connectClient();
      while (clients.withSnapshot < sockets.length - 1 && Date.now() < warmupDeadline) await sleep(50);
      if (Date.now() >= warmupDeadline) {
        for (let i = sockets.length - 1; i < clientCount; i++) connectClient();
        process.stderr.write(
          `only ${clients.withSnapshot} of ${clientCount} clients got a snapshot in ${WARMUP_TIMEOUT_SECONDS} s\n`,
        );
        break;
      }
    }
    const warmupSeconds = Math.round((Date.now() - started) / 1_000);
    await sleep(SETTLE_SECONDS * 1_000);

    // Phase 1, the socket path: no browser yet (its software rendering would take a core from the
    // coordinator on a small machine).
    const before = await scrape(httpUrl);
    const cpuBefore = processUsage(pid).cpuSeconds;
    const benchCpuBefore = process.cpuUsage();
    const publishedBefore = published;
    phase = "sockets";
    const measureStart = performance.now();
    await sleep(measureSeconds * 1_000);
    phase = undefined;
    const measuredSeconds = (performance.now() - measureStart) / 1_000;
    const usage = processUsage(pid);
    const benchCpu = process.cpuUsage(benchCpuBefore);
    const after = await scrape(httpUrl);
    const delta = (name: string, labels: Record<string, string> = {}): number =>
      metricValue(after, name, labels) - metricValue(before, name, labels);

    const socketPercentiles = printPercentiles("dashboard_publish_to_applied", socketLatencies, rawLatencies.sockets);
    const gatewayPercentiles = printPercentiles(
      "dashboard_ingested_to_applied",
      gatewayLatencies,
      rawLatencies.sockets,
    );
    const batchedPercentiles = printPercentiles("dashboard_ingested_to_sent", batchedLatencies, rawLatencies.sockets);
    const deliveryPercentiles = printPercentiles("dashboard_sent_to_applied", deliveryLatencies, rawLatencies.sockets);
    printFigure(`dashboard_p95_vs_target_ms{${TAG}}`, socketPercentiles[1] as number, "ms", TARGET_P95_MS);
    const emit = { event: "delta" };
    const deltas = delta("sentra_coordinator_dashboard_emit_duration_seconds_count", emit);
    const emitSeconds = delta("sentra_coordinator_dashboard_emit_duration_seconds_sum", emit);
    const deltasPerSecond = deltas / measuredSeconds;
    const emitMsPerDelta = deltas > 0 ? (emitSeconds * 1_000) / deltas : Number.NaN;
    printFigure(`dashboard_deltas_per_s{${TAG}}`, deltasPerSecond, "deltas/s");
    printFigure(`dashboard_emit_ms_per_delta{${TAG}}`, emitMsPerDelta, "ms of event loop");
    const intervalMetric = "sentra_coordinator_dashboard_delta_interval_seconds";
    if (after.includes(`${intervalMetric} `)) {
      printFigure(`dashboard_delta_interval_ms{${TAG}}`, metricValue(after, intervalMetric) * 1_000, "ms (at the end)");
    }
    const ingestedPerSecond = delta("sentra_coordinator_nats_messages_total", { kind: "health" }) / measuredSeconds;
    const publishedPerSecond = (published - publishedBefore) / measuredSeconds;
    printFigure(`dashboard_heartbeats_ingested_per_s{${TAG}}`, ingestedPerSecond, "heartbeats/s", publishedPerSecond);
    // Signed-in sockets less the observer.
    const connected = metricValue(after, "sentra_coordinator_dashboard_clients") - 1;
    printFigure(`dashboard_clients_connected{${TAG}}`, connected, "sockets", clientCount);
    const loadClients = clientCount - Math.min(clientCount, TIMED_CLIENTS);
    if (loadClients > 0) {
      const kbPerSecond = skippedChars / loadClients / measuredSeconds / 1_000;
      printFigure(`dashboard_delta_kb_per_s_per_client{${TAG}}`, kbPerSecond, "kB/s (characters)");
    }
    const cpuPercent = ((usage.cpuSeconds - cpuBefore) / measuredSeconds) * 100;
    printFigure(`dashboard_coordinator_cpu{${TAG}}`, cpuPercent, "% of one core");
    printFigure(`dashboard_coordinator_rss{${TAG}}`, usage.rssBytes / 2 ** 20, "MB");
    // The publishers and clients share the machine with the coordinator: near 100 % here, the
    // latencies include the bench's own queueing.
    const benchCpuPercent = ((benchCpu.user + benchCpu.system) / 1e6 / measuredSeconds) * 100;
    printFigure(`dashboard_bench_process_cpu{${TAG}}`, benchCpuPercent, "% of one core");
    writeRows([
      `${satelliteCount} satellites (${Math.round(publishedPerSecond)} heartbeats/s published), ${clientCount} socket clients (${connected} connected; ${clients.connectErrors} connect errors and ${clients.disconnects} disconnects in all${clients.lastError ? `, last: ${clients.lastError}` : ""}), ${measuredSeconds.toFixed(1)} s measured after ${warmupSeconds} s of warm-up`,
      row(
        "publish → received, raw NATS (baseline)",
        percentiles(rawLatencies.sockets, LEVELS),
        rawLatencies.sockets.length,
      ),
      row("publish → applied, socket clients", socketPercentiles, socketLatencies.length),
      row("  of which coordinator receipt → applied", gatewayPercentiles, gatewayLatencies.length),
      row("    receipt → delta sent (ingest, batching)", batchedPercentiles, batchedLatencies.length),
      row("    delta sent → applied (writes, decoding)", deliveryPercentiles, deliveryLatencies.length),
      `coordinator: ${Math.round(ingestedPerSecond)} heartbeats ingested/s, ${deltasPerSecond.toFixed(1)} deltas/s, ${emitMsPerDelta.toFixed(2)} ms of event loop per broadcast, ${cpuPercent.toFixed(0)} % CPU, ${(usage.rssBytes / 2 ** 20).toFixed(0)} MB RSS`,
    ]);

    // Phase 2, the page: signed in through sessionStorage, instrumented through window.__sentraProbe;
    // its frame time with every region on the globe, and publish → applied in its own store.
    if (withBrowser) {
      browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
      const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
      // The frame-time baseline: the same browser and viewport with nothing to draw.
      const blankFrames = ((await page.evaluate(frameTimesScript(BLANK_MEASURE_MS))) as number[]).slice(1);
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
      phase = "page";
      const frameTimes = ((await page.evaluate(frameTimesScript(PAGE_MEASURE_MS))) as number[]).slice(1);
      phase = undefined;
      const pageLatencies: number[] = [];
      const applied = (await page.evaluate("window.__benchApplied")) as Array<[string, number, number]>;
      for (const [satelliteId, sequence, appliedAt] of applied) {
        const sent = publishedAt.get(`${satelliteId}#${sequence}`);
        if (sent !== undefined) pageLatencies.push(appliedAt - sent);
      }
      const markers = await page.locator('[data-testid^="region-marker-"]').count();
      const pageState = (await page.evaluate(
        `(() => { const s = document.querySelector('[data-testid="connection-status"]'); return { status: s?.dataset.status, snapshots: Number(s?.dataset.snapshots) }; })()`,
      )) as { status: string; snapshots: number };
      const pagePercentiles = printPercentiles("dashboard_page_publish_to_applied", pageLatencies, rawLatencies.page);
      printFigure(`dashboard_page_p95_vs_target_ms{${TAG}}`, pagePercentiles[1] as number, "ms", TARGET_P95_MS);
      const framePercentiles = printPercentiles("dashboard_page_frame", frameTimes, blankFrames);
      printFigure(`dashboard_page_markers{${TAG}}`, markers, "markers", satelliteCount);
      writeRows([
        row(
          "publish → received, raw NATS (page baseline)",
          percentiles(rawLatencies.page, LEVELS),
          rawLatencies.page.length,
        ),
        row("publish → applied, Chromium page", pagePercentiles, pageLatencies.length),
        row(`frame time, page with ${markers} markers`, framePercentiles, frameTimes.length),
        row("frame time, blank page (baseline)", percentiles(blankFrames, LEVELS), blankFrames.length),
        `page: ${pageState.status}, ${pageState.snapshots} snapshot(s), ${applied.length} satellite updates applied`,
      ]);
    }
    writeRows([
      `machine: ${cpus().length} CPUs, load average ${(loadavg()[0] ?? 0).toFixed(2)}; ${Math.round((Date.now() - started) / 1_000)} s in all`,
    ]);
  } finally {
    clearInterval(heartbeats);
    for (const socket of sockets) socket.disconnect();
    await browser?.close();
    await rawNats.close();
    await nats.drain();
  }
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

// Interrupted: still stop the coordinator and remove the bench's stream, keys and database.
let interrupted = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (interrupted) return; // a second signal (Ctrl-C twice, a wrapper forwarding it) waits too
    interrupted = true;
    void stopAllBenchCoordinators().finally(() => process.exit(130));
  });
}

main()
  .catch((error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  })
  .finally(() => stopAllBenchCoordinators().then(() => process.exit()));
