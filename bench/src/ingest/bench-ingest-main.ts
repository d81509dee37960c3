import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { create, toBinary } from "@bufbuild/protobuf";
import { credentials } from "@grpc/grpc-js";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { generateApiToken } from "@sentra/coordinator";
import {
  CoordinatorService,
  createServiceClient,
  HealthSummarySchema,
  Liveness,
  msOf,
  SatelliteStatus,
  satelliteSubject,
  timestampFromMs,
} from "@sentra/proto";
import {
  BENCH_SERVICES,
  type BenchCoordinator,
  metricValue,
  percentile,
  printFigure,
  processUsage,
  scrape,
  sleep,
  startBenchCoordinator,
  stopAllBenchCoordinators,
  stopBenchCoordinator,
} from "../bench-coordinator.js";

/**
 * Ingest benchmark (issue 10): distinct satellites' protobuf heartbeats, pre-encoded, published
 * over real NATS into a real coordinator process (real Redis and MySQL), as fast as one publisher
 * connection goes; the baseline is raw NATS pub→sub of the same payloads in the same run.
 *
 * For each estate size: heartbeats/s accepted and applied to Redis, the ratio to raw NATS, loss,
 * the coordinator's CPU per heartbeat, RSS and idle CPU with the whole estate known. At the largest
 * size a soak follows: every satellite heartbeating every 2 s, false stale satellites counted every
 * second, publish → visible over gRPC (GetSatellite) probed, and one satellite stopped to time its
 * stale verdict. `--compare <repo>` runs the throughput part against another build too (e.g. a
 * `git worktree` of an older commit, built) and prints the current build's ratio to it.
 */

const { values } = parseArgs({
  options: {
    sizes: { type: "string", default: "1000,10000" },
    messages: { type: "string", default: "50000" },
    "soak-seconds": { type: "string", default: "30" },
    compare: { type: "string" },
    "compare-messages": { type: "string", default: "10000" },
    replicas: { type: "string", default: "3" },
    "paced-rate": { type: "string", default: "10000" },
    help: { type: "boolean", default: false },
    // Accepted for `npm run bench -- --json`: the output is JSON lines either way.
    json: { type: "boolean", default: false },
  },
});
if (values.help) {
  process.stdout.write(
    "node bench/dist/ingest/bench-ingest-main.js [--sizes 1000,10000] [--messages 50000] [--soak-seconds 30] [--replicas 3]\n" +
      "    [--compare <repo root of another build> [--compare-messages 10000]]\n" +
      "Publishes heartbeats of N distinct satellites into a coordinator and prints one JSON line per figure\n" +
      "{name, value, unit, baseline, ratio}; the baseline of throughput is raw NATS pub→sub in the same run.\n",
  );
  process.exit(0);
}
const sizes = values.sizes.split(",").map((text) => wholeNumber("sizes", text, 1, 100_000));
const messageCount = wholeNumber("messages", values.messages, 1_000, 10_000_000);
const soakSeconds = wholeNumber("soak-seconds", values["soak-seconds"], 0, 3_600);
const compareMessages = wholeNumber("compare-messages", values["compare-messages"], 1_000, 10_000_000);
const replicaCount = wholeNumber("replicas", values.replicas, 1, 8);
const pacedRate = wholeNumber("paced-rate", values["paced-rate"], 100, 1_000_000);
/** @default 5000 — how long the paced phase publishes. */
const PACED_MS = 5_000;

/** @default 60000 — the interval the throughput phase's heartbeats promise, so none turns stale meanwhile. */
const THROUGHPUT_HEARTBEAT_INTERVAL_MS = 60_000;
/** @default 2000 — the production heartbeat interval, used by the soak. */
const SOAK_HEARTBEAT_INTERVAL_MS = 2_000;
/** @default 5000 — how many messages are published between flushes (bounds the client's buffer). */
const PUBLISH_CHUNK = 5_000;
/** A throughput run must finish within this long, or the bench fails. */
const RUN_TIMEOUT_MS = 600_000;
const IDLE_MEASURE_MS = 10_000;
const TOKEN = generateApiToken();

function wholeNumber(name: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    process.stderr.write(`--${name}: must be a whole number from ${min} to ${max}\n`);
    process.exit(2);
  }
  return value;
}

function satelliteId(i: number): string {
  return `aws-bench-${String(i).padStart(5, "0")}`;
}

function heartbeat(i: number, sequence: number, startedAtMs: number, intervalMs: number): Uint8Array {
  const name = `bench-${i % 500}`;
  return toBinary(
    HealthSummarySchema,
    create(HealthSummarySchema, {
      satelliteId: satelliteId(i),
      region: {
        cloud: "aws",
        name,
        displayName: name,
        city: name,
        latitude: (i % 170) - 85,
        longitude: (i % 360) - 180,
      },
      sequence,
      sentAt: timestampFromMs(Date.now()),
      startedAt: timestampFromMs(startedAtMs),
      status: SatelliteStatus.OK,
      heartbeatIntervalMs: intervalMs,
      version: "bench",
      clusters: [{ cluster: "sim", reachable: true, workloads: 3, desiredReplicas: 9, readyReplicas: 9 }],
    }),
  );
}

/** Publishes `messages` (subject, payload) in chunks, flushing between them. */
async function publishAll(nats: NatsConnection, messages: ReadonlyArray<readonly [string, Uint8Array]>): Promise<void> {
  for (let start = 0; start < messages.length; start += PUBLISH_CHUNK) {
    const end = Math.min(messages.length, start + PUBLISH_CHUNK);
    for (let i = start; i < end; i++) {
      const [subject, payload] = messages[i] as readonly [string, Uint8Array];
      nats.publish(subject, payload);
    }
    await nats.flush();
  }
}

/** Raw NATS pub→sub: a subscriber connection counts what a publisher connection sends. */
async function rawNatsPerSecond(payloads: readonly Uint8Array[]): Promise<number> {
  const prefix = `raw${randomBytes(3).toString("hex")}`;
  const subscriber = await connect({ servers: BENCH_SERVICES.natsUrl });
  const publisher = await connect({ servers: BENCH_SERVICES.natsUrl });
  try {
    let received = 0;
    let resolveDone: () => void = () => undefined;
    const done = new Promise<void>((resolve) => {
      resolveDone = resolve;
    });
    const subscription = subscriber.subscribe(`${prefix}.>`, {
      callback: () => {
        received++;
        if (received === payloads.length) resolveDone();
      },
    });
    await subscriber.flush();
    const messages = payloads.map((payload, i) => [`${prefix}.${i % 10_000}.health`, payload] as const);
    const startedAt = performance.now();
    await publishAll(publisher, messages);
    await done;
    const seconds = (performance.now() - startedAt) / 1000;
    subscription.unsubscribe();
    return payloads.length / seconds;
  } finally {
    await publisher.close();
    await subscriber.close();
  }
}

interface ThroughputResult {
  perSecond: number;
  seconds: number;
  sent: number;
  accepted: number;
  dropped: number;
  /** Dropped because a newer heartbeat of the satellite was applied first (by another replica). */
  superseded: number;
  cpuMsPer1kHeartbeats: number;
  rssMb: number;
  idleCpuPercent: number;
  lagP95Ms: number | undefined;
  /** Heartbeats superseded by a newer one of their satellite before their batch ran (whole run). */
  coalesced: number;
}

/** Accepted heartbeats, dropped ones, and (current builds) those applied to Redis. */
function ingestCounts(text: string): { accepted: number; dropped: number; applied: number | undefined } {
  const accepted = metricValue(text, "sentra_coordinator_nats_messages_total", { kind: "health" });
  const dropped = metricValue(text, "sentra_coordinator_nats_messages_dropped_total", { kind: "health" });
  // A batched build counts a heartbeat when it is accepted and again (per satellite and batch,
  // coalesced ones separately) once applied; a build without the histogram applies before counting.
  const batched = text.includes("sentra_coordinator_ingest_batch_size_sum");
  const applied = batched
    ? metricValue(text, "sentra_coordinator_ingest_batch_size_sum", { kind: "health" }) +
      metricValue(text, "sentra_coordinator_ingest_coalesced_total", { kind: "health" })
    : undefined;
  return { accepted, dropped, applied };
}

/** The dropped-heartbeat counts by reason, summed over the replicas ("" when none). */
async function dropReasons(replicas: readonly BenchCoordinator[]): Promise<string> {
  const byReason = new Map<string, number>();
  for (const replica of replicas) {
    for (const line of (await scrape(replica.httpUrl)).split("\n")) {
      if (!line.startsWith("sentra_coordinator_nats_messages_dropped_total{") || !line.includes('kind="health"'))
        continue;
      const reason = /reason="([^"]+)"/.exec(line)?.[1] ?? "?";
      byReason.set(reason, (byReason.get(reason) ?? 0) + Number(line.slice(line.lastIndexOf(" ") + 1)));
    }
  }
  return [...byReason]
    .filter(([, count]) => count > 0)
    .map(([reason, count]) => `${reason} ${count}`)
    .join(", ");
}

/** The p95 of a histogram's observations, from its cumulative buckets (upper bound of the bucket). */
function histogramP95(text: string, name: string, labels: Record<string, string>): number | undefined {
  const buckets: Array<[number, number]> = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}_bucket{`)) continue;
    if (!Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`))) continue;
    const le = /le="([^"]+)"/.exec(line)?.[1];
    if (le === undefined) continue;
    buckets.push([
      le === "+Inf" ? Number.POSITIVE_INFINITY : Number(le),
      Number(line.slice(line.lastIndexOf(" ") + 1)),
    ]);
  }
  const total = buckets.at(-1)?.[1] ?? 0;
  if (total === 0) return undefined;
  return buckets.find(([, count]) => count >= 0.95 * total)?.[0];
}

/**
 * Floods an estate's replicas with `total` heartbeats, round-robin over `size` satellites, and waits
 * until every one is accepted (or dropped, with its reason) and applied to Redis. A first, untimed
 * round makes every satellite known, so first sight (MySQL records) is not what is timed.
 */
async function measureThroughput(
  replicas: readonly BenchCoordinator[],
  size: number,
  total: number,
): Promise<ThroughputResult> {
  const coordinator = replicas[0] as BenchCoordinator;
  const pids = replicas.map((replica) => replica.child.pid as number);
  const cpu = (): number => pids.reduce((sum, pid) => sum + processUsage(pid).cpuSeconds, 0);
  /** Counts summed over the replicas (each applies its share of the queue group). */
  const readCounts = async () => {
    const all = await Promise.all(replicas.map(async (replica) => ingestCounts(await scrape(replica.httpUrl))));
    return all.reduce((sum, counts) => ({
      accepted: sum.accepted + counts.accepted,
      dropped: sum.dropped + counts.dropped,
      applied: sum.applied === undefined || counts.applied === undefined ? undefined : sum.applied + counts.applied,
    }));
  };
  const startedAtMs = Date.now();
  const build = (from: number, count: number): Array<readonly [string, Uint8Array]> =>
    Array.from({ length: count }, (_, k) => {
      const n = from + k;
      const i = n % size;
      return [
        satelliteSubject(satelliteId(i), "health", coordinator.id),
        heartbeat(i, Math.floor(n / size) + 1, startedAtMs, THROUGHPUT_HEARTBEAT_INTERVAL_MS),
      ] as const;
    });
  const warmUp = build(0, size);
  const messages = build(size, total);
  const nats = await connect({ servers: BENCH_SERVICES.natsUrl });
  /** Waits until `expected` heartbeats in all are accounted for and applied. */
  const settle = async (expected: number) => {
    const deadline = Date.now() + RUN_TIMEOUT_MS;
    for (;;) {
      const counts = await readCounts();
      const done =
        counts.accepted + counts.dropped >= expected &&
        (counts.applied === undefined || counts.applied >= counts.accepted);
      if (done) return counts;
      if (Date.now() > deadline) {
        throw new Error(
          `${size} satellites: ${counts.accepted} accepted, ${counts.dropped} dropped of ${expected} after ${RUN_TIMEOUT_MS / 1000} s`,
        );
      }
      await sleep(25);
    }
  };
  try {
    await publishAll(nats, warmUp);
    const before = await settle(warmUp.length);
    const cpuBefore = cpu();
    const startedAt = performance.now();
    await publishAll(nats, messages);
    const after = await settle(warmUp.length + messages.length);
    const counts = { accepted: after.accepted - before.accepted, dropped: after.dropped - before.dropped };
    const seconds = (performance.now() - startedAt) / 1000;
    const cpuSeconds = cpu() - cpuBefore;
    const text = await scrape(coordinator.httpUrl);
    const coalesced = (
      await Promise.all(
        replicas.map(async (replica) =>
          metricValue(await scrape(replica.httpUrl), "sentra_coordinator_ingest_coalesced_total", { kind: "health" }),
        ),
      )
    ).reduce((sum, value) => sum + value, 0);
    const reasons = await dropReasons(replicas);
    const outOfOrder = (
      await Promise.all(
        replicas.map(async (replica) =>
          metricValue(await scrape(replica.httpUrl), "sentra_coordinator_nats_messages_dropped_total", {
            kind: "health",
            reason: "out_of_order",
          }),
        ),
      )
    ).reduce((sum, value) => sum + value, 0);
    if (reasons) process.stderr.write(`  dropped: ${reasons}\n`);
    // Idle with the whole estate known: what the liveness monitor and timers cost when nothing arrives.
    const idleBefore = cpu();
    await sleep(IDLE_MEASURE_MS);
    const idleCpuPercent = ((cpu() - idleBefore) / (IDLE_MEASURE_MS / 1000)) * 100;
    return {
      perSecond: messages.length / seconds,
      seconds,
      sent: messages.length,
      accepted: counts.accepted,
      dropped: counts.dropped,
      superseded: outOfOrder,
      cpuMsPer1kHeartbeats: (cpuSeconds * 1_000_000) / messages.length,
      rssMb: Math.max(...pids.map((pid) => processUsage(pid).rssBytes)) / 2 ** 20,
      idleCpuPercent,
      coalesced,
      lagP95Ms: (() => {
        const p95 = histogramP95(text, "sentra_coordinator_ingest_lag_seconds", { kind: "health" });
        return p95 === undefined ? undefined : p95 * 1000;
      })(),
    };
  } finally {
    await nats.close();
  }
}

/**
 * The cost of one heartbeat without coalescing: `rate` heartbeats/s, round-robin over the estate,
 * for {@link PACED_MS} (below the flood's capacity, so each is decoded, checked and applied on its
 * own). Run after the flood, so every satellite is known. CPU ms per 1,000 heartbeats.
 */
async function measurePaced(
  replicas: readonly BenchCoordinator[],
  size: number,
  rate: number,
): Promise<{ cpuMsPer1k: number; coalescedShare: number; published: number }> {
  const coordinator = replicas[0] as BenchCoordinator;
  const pids = replicas.map((replica) => replica.child.pid as number);
  const cpu = (): number => pids.reduce((sum, pid) => sum + processUsage(pid).cpuSeconds, 0);
  const coalesced = async (): Promise<number> =>
    metricValue(await scrape(coordinator.httpUrl), "sentra_coordinator_ingest_coalesced_total", { kind: "health" });
  const accepted = async (): Promise<number> =>
    metricValue(await scrape(coordinator.httpUrl), "sentra_coordinator_nats_messages_total", { kind: "health" });
  const nats = await connect({ servers: BENCH_SERVICES.natsUrl });
  try {
    const startedAtMs = Date.now();
    // Sequences above the flood's (at most 10,000 rounds of it).
    const sequences = new Array<number>(size).fill(10_000);
    const [cpuBefore, coalescedBefore, acceptedBefore] = [cpu(), await coalesced(), await accepted()];
    let published = 0;
    let next = 0;
    const tickMs = 10;
    const perTick = Math.max(1, Math.round((rate * tickMs) / 1000));
    await new Promise<void>((resolve) => {
      const end = Date.now() + PACED_MS;
      const timer = setInterval(() => {
        for (let k = 0; k < perTick; k++) {
          sequences[next] = (sequences[next] as number) + 1;
          nats.publish(
            satelliteSubject(satelliteId(next), "health", coordinator.id),
            heartbeat(next, sequences[next] as number, startedAtMs, THROUGHPUT_HEARTBEAT_INTERVAL_MS),
          );
          published++;
          next = (next + 1) % size;
        }
        if (Date.now() >= end) {
          clearInterval(timer);
          resolve();
        }
      }, tickMs);
    });
    const deadline = Date.now() + 60_000;
    while ((await accepted()) - acceptedBefore < published && Date.now() < deadline) await sleep(25);
    return {
      cpuMsPer1k: ((cpu() - cpuBefore) * 1_000_000) / published,
      coalescedShare: ((await coalesced()) - coalescedBefore) / published,
      published,
    };
  } finally {
    await nats.close();
  }
}

interface SoakResult {
  heartbeats: number;
  maxFalseStale: number;
  visibleP50Ms: number;
  visibleP95Ms: number;
  probes: number;
  staleAfterMs: number;
  rssMb: number;
  cpuPercent: number;
}

/**
 * Every satellite heartbeats every 2 s (spread evenly) for `seconds`; the number of stale satellites
 * is read every second (all are live, so any is false), and a probe every 250 ms publishes one
 * satellite's next heartbeat and polls GetSatellite until its last_seen_at moves. Then one satellite
 * stops and the time from its last heartbeat to GetSatellite saying STALE is measured.
 */
async function soak(coordinator: BenchCoordinator, size: number, seconds: number): Promise<SoakResult> {
  const pid = coordinator.child.pid as number;
  const nats = await connect({ servers: BENCH_SERVICES.natsUrl });
  const client = createServiceClient(CoordinatorService, coordinator.grpcAddress, credentials.createInsecure(), {
    metadata: { authorization: `Bearer ${TOKEN}` },
  });
  const startedAtMs = Date.now();
  const sequences = new Array<number>(size).fill(0);
  let heartbeats = 0;
  const publish = (i: number): number => {
    sequences[i] = (sequences[i] as number) + 1;
    const payload = heartbeat(i, sequences[i] as number, startedAtMs, SOAK_HEARTBEAT_INTERVAL_MS);
    nats.publish(satelliteSubject(satelliteId(i), "health", coordinator.id), payload);
    heartbeats++;
    return Date.now();
  };
  const stopped = size - 1;
  let next = 0;
  const tickMs = 10;
  const perTick = Math.max(1, Math.round((size * tickMs) / SOAK_HEARTBEAT_INTERVAL_MS));
  let lastOfStopped = 0;
  let soaking = true;
  const pacer = setInterval(() => {
    for (let k = 0; k < perTick; k++) {
      if (next !== stopped || soaking) {
        const at = publish(next);
        if (next === stopped) lastOfStopped = at;
      }
      next = (next + 1) % size;
    }
  }, tickMs);
  try {
    // One full cycle first, so every satellite carries the soak's 2 s interval.
    await sleep(SOAK_HEARTBEAT_INTERVAL_MS + 1_000);
    const cpuBefore = processUsage(pid).cpuSeconds;
    const soakStart = performance.now();
    let maxFalseStale = 0;
    const visible: number[] = [];
    const endAt = Date.now() + seconds * 1_000;
    let lastGaugeAt = 0;
    while (Date.now() < endAt) {
      if (Date.now() - lastGaugeAt >= 1_000) {
        lastGaugeAt = Date.now();
        const stale = metricValue(await scrape(coordinator.httpUrl), "sentra_coordinator_satellites", {
          liveness: "stale",
        });
        maxFalseStale = Math.max(maxFalseStale, stale);
      }
      // Half a cycle away from the pacer, so the probed satellite's own heartbeat does not answer it.
      const probe = (next + Math.floor(size / 2)) % size;
      if (probe === stopped) continue;
      const publishedAt = publish(probe);
      const startedProbe = performance.now();
      for (;;) {
        const { satellite } = await client.getSatellite({ satelliteId: satelliteId(probe) });
        if (satellite?.lastSeenAt && msOf(satellite.lastSeenAt) >= publishedAt) break;
        if (performance.now() - startedProbe > 5_000)
          throw new Error(`heartbeat of ${satelliteId(probe)} not visible in 5 s`);
        await sleep(2);
      }
      visible.push(performance.now() - startedProbe);
      await sleep(250);
    }
    const cpuPercent = ((processUsage(pid).cpuSeconds - cpuBefore) / ((performance.now() - soakStart) / 1000)) * 100;
    // One satellite stops; the others go on.
    soaking = false;
    while (lastOfStopped === 0) await sleep(10);
    const stopAt = lastOfStopped;
    for (;;) {
      const { satellite } = await client.getSatellite({ satelliteId: satelliteId(stopped) });
      if (satellite?.liveness === Liveness.STALE) break;
      if (Date.now() - stopAt > 30_000) throw new Error("the stopped satellite was not stale after 30 s");
      await sleep(20);
    }
    const staleAfterMs = Date.now() - stopAt;
    return {
      heartbeats,
      maxFalseStale,
      visibleP50Ms: percentile(visible, 50),
      visibleP95Ms: percentile(visible, 95),
      probes: visible.length,
      staleAfterMs,
      rssMb: processUsage(pid).rssBytes / 2 ** 20,
      cpuPercent,
    };
  } finally {
    clearInterval(pacer);
    client.close();
    await nats.close();
  }
}

/** Starts `replicas` coordinators of one estate (one namespace, sharing ingest) and floods them. */
async function runEstate(
  label: string,
  script: string | undefined,
  size: number,
  total: number,
  replicaCount = 1,
): Promise<{ replicas: BenchCoordinator[]; result: ThroughputResult }> {
  const id = `ibench${randomBytes(3).toString("hex")}`;
  const replicas: BenchCoordinator[] = [];
  try {
    // One after the other: the first creates the database schema and the event stream.
    for (let i = 0; i < replicaCount; i++) {
      replicas.push(
        await startBenchCoordinator({
          id,
          adminToken: TOKEN,
          ...(script ? { script } : {}),
          // The flood sends each satellite up to 50 heartbeats at once, above the per-satellite
          // limiter's burst (40); fairness under a flood has its own test (keyed-token-buckets).
          env: { SENTRA_INGEST_SATELLITE_RATE_PER_S: "0", ...benchEnv() },
        }),
      );
    }
    const result = await measureThroughput(replicas, size, total);
    process.stderr.write(
      `${label}: ${size} satellites, ${total} heartbeats, ${replicaCount} replica(s): ${Math.round(result.perSecond)} heartbeats/s in ${result.seconds.toFixed(1)} s, ${result.accepted} accepted, ${result.dropped} dropped\n`,
    );
    return { replicas, result };
  } catch (error) {
    await stopEstate(replicas);
    throw error;
  }
}

/** Stops an estate's replicas, then removes its namespace once. */
async function stopEstate(replicas: readonly BenchCoordinator[]): Promise<void> {
  await Promise.all(
    replicas.map((replica) =>
      replica.child.exitCode === null && replica.child.signalCode === null
        ? new Promise((resolve) => {
            replica.child.once("exit", resolve);
            replica.child.kill("SIGTERM");
          })
        : undefined,
    ),
  );
  for (const replica of replicas) await stopBenchCoordinator(replica);
}

async function main(): Promise<void> {
  const largest = Math.max(...sizes);
  const rawPayloads = Array.from({ length: messageCount }, (_, i) =>
    heartbeat(i % largest, Math.floor(i / largest) + 1, Date.now(), THROUGHPUT_HEARTBEAT_INTERVAL_MS),
  );
  // Twice, keeping the better: the first run also warms up the server and the client.
  const raw = Math.max(await rawNatsPerSecond(rawPayloads), await rawNatsPerSecond(rawPayloads));
  printFigure("nats_raw_pub_sub", raw, "messages/s");
  const throughput = new Map<number, number>();
  /** CPU ms per 1,000 paced heartbeats, by estate size: flat cost means the same at every size. */
  const pacedCost = new Map<number, number>();
  for (const size of sizes) {
    const { replicas, result } = await runEstate("current", undefined, size, messageCount);
    const coordinator = replicas[0] as BenchCoordinator;
    try {
      throughput.set(size, result.perSecond);
      printFigure(`ingest_heartbeats_per_s{satellites=${size}}`, result.perSecond, "heartbeats/s", raw);
      printFigure(`ingest_loss{satellites=${size}}`, result.sent - result.accepted, "heartbeats", 0);
      printFigure(`ingest_coalesced_share{satellites=${size}}`, result.coalesced / result.sent, "of heartbeats");
      printFigure(`ingest_cpu_per_1k_heartbeats{satellites=${size}}`, result.cpuMsPer1kHeartbeats, "cpu ms");
      if (result.lagP95Ms !== undefined) {
        printFigure(`ingest_lag_p95{satellites=${size}}`, result.lagP95Ms, "ms (histogram bucket bound)");
      }
      printFigure(`coordinator_rss{satellites=${size}}`, result.rssMb, "MB");
      const paced = await measurePaced(replicas, size, pacedRate);
      pacedCost.set(size, paced.cpuMsPer1k);
      const pacedTag = `satellites=${size},rate=${pacedRate}`;
      printFigure(`ingest_cpu_per_1k_heartbeats_paced{${pacedTag}}`, paced.cpuMsPer1k, "cpu ms");
      printFigure(`ingest_coalesced_share_paced{${pacedTag}}`, paced.coalescedShare, "of heartbeats");
      printFigure(`coordinator_idle_cpu{satellites=${size}}`, result.idleCpuPercent, "% of one core");
      if (size === largest && soakSeconds > 0) {
        const soaked = await soak(coordinator, size, soakSeconds);
        const tag = `satellites=${size},seconds=${soakSeconds}`;
        printFigure(`soak_heartbeats{${tag}}`, soaked.heartbeats, "heartbeats");
        printFigure(`soak_false_stale_max{${tag}}`, soaked.maxFalseStale, "satellites", 0);
        printFigure(`soak_publish_to_grpc_p50{${tag}}`, soaked.visibleP50Ms, `ms (${soaked.probes} probes)`);
        printFigure(`soak_publish_to_grpc_p95{${tag}}`, soaked.visibleP95Ms, `ms (${soaked.probes} probes)`, 100);
        printFigure(`soak_stopped_stale_after{${tag}}`, soaked.staleAfterMs / 1000, "s after its last heartbeat", 6);
        printFigure(`soak_coordinator_cpu{${tag}}`, soaked.cpuPercent, "% of one core");
        printFigure(`soak_coordinator_rss{${tag}}`, soaked.rssMb, "MB", 300);
      }
    } finally {
      await stopEstate(replicas);
    }
  }
  const smallest = Math.min(...sizes);
  if (largest !== smallest) {
    printFigure(
      `ingest_flatness{satellites=${largest}_vs_${smallest}}`,
      throughput.get(largest) as number,
      "heartbeats/s",
      throughput.get(smallest) as number,
    );
    printFigure(
      `ingest_cost_flatness_paced{satellites=${largest}_vs_${smallest}}`,
      pacedCost.get(largest) as number,
      "cpu ms per 1k heartbeats",
      pacedCost.get(smallest) as number,
    );
  }
  if (replicaCount > 1) {
    // Horizontal scale: the replicas share the satellites' subjects through the NATS queue group.
    const { replicas, result } = await runEstate("current", undefined, largest, messageCount, replicaCount);
    try {
      const tag = `satellites=${largest},replicas=${replicaCount}`;
      printFigure(`ingest_heartbeats_per_s{${tag}}`, result.perSecond, "heartbeats/s", throughput.get(largest));
      // Superseded: a replica's heartbeat older than one another replica applied first (the flood
      // sends each satellite several at once); the newer state is there, nothing is lost.
      printFigure(`ingest_superseded{${tag}}`, result.superseded, "heartbeats");
      printFigure(`ingest_loss{${tag}}`, result.sent - result.accepted - result.superseded, "heartbeats", 0);
    } finally {
      await stopEstate(replicas);
    }
  }
  if (values.compare) {
    const script = join(values.compare, "coordinator/dist/main.js");
    for (const size of sizes) {
      const { replicas, result } = await runEstate(`compare ${values.compare}`, script, size, compareMessages);
      try {
        printFigure(
          `ingest_heartbeats_per_s_vs_compared{satellites=${size}}`,
          throughput.get(size) as number,
          "heartbeats/s",
          result.perSecond,
        );
        printFigure(`compared_ingest_heartbeats_per_s{satellites=${size}}`, result.perSecond, "heartbeats/s", raw);
        printFigure(`compared_cpu_per_1k_heartbeats{satellites=${size}}`, result.cpuMsPer1kHeartbeats, "cpu ms");
        printFigure(`compared_coordinator_rss{satellites=${size}}`, result.rssMb, "MB");
        printFigure(`compared_coordinator_idle_cpu{satellites=${size}}`, result.idleCpuPercent, "% of one core");
      } finally {
        await stopEstate(replicas);
      }
    }
  }
}

// Interrupted: still stop the coordinators and remove their keys, streams and databases.
let interrupted = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (interrupted) return;
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

/** `BENCH_COORDINATOR_ENV="SENTRA_INGEST_BATCH_WINDOW_MS=10 …"`: settings to try on the benched coordinators. */
function benchEnv(): Record<string, string> {
  const pairs = (process.env.BENCH_COORDINATOR_ENV ?? "").split(" ").filter(Boolean);
  return Object.fromEntries(pairs.map((pair) => [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)]));
}
