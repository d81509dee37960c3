/**
 * Rollback-time benchmark of the release guard: the time from the moment a canary's error rate is
 * raised to the moment its traffic weight is back to 0 %, against a real Prometheus scraping every
 * second.
 *
 *   node bench/dist/release-guard/bench-rollback-main.js [--runs 10] [--error-rate 0.25]
 *     [--window 10] [--interval 2] [--breaches 3] [--rps 100]
 *
 * One satellite (in this process, simulated mode) and one Prometheus (a child process scraping the
 * satellite's `/metrics/workloads`, the demo's path). Each run deploys a fresh service `benchN`
 * (v1 live, v2 the canary, an HTTPRoute with `--rps` simulated requests per second), starts a
 * canary at 20 % with the built-in Prometheus gates (thresholds and minimum samples unchanged),
 * lets it serve for a whole window and waits for two passing evaluations — so the gates are known
 * to judge real samples over a full window — then, at a
 * random point of the evaluation interval, raises v2's error rate through its
 * `sentra.io/sim-error-rate` annotation and polls the HTTPRoute every 10 ms until v2's weight is 0. Needs NATS with JetStream (NATS_URL, default nats://127.0.0.1:4222),
 * Prometheus (PROMETHEUS_BIN, else `prometheus` on PATH; Debian: apt-get install prometheus) and a
 * build (`npx tsc -b`).
 *
 * Output: one JSON figure line per figure on stdout (`npm run bench`); progress and a summary on
 * stderr. Exit status 1 when the p95 misses the 8 s target.
 *
 * Baseline of the rollback-time figures: the estimate of the model in docs/release-guard.md, from
 * this run's parameters (not a measurement — there is no other rollback path to time): the error_rate
 * gate reads about `e × t / window` t seconds after the rise, so it crosses a threshold θ after
 * `window × θ / e`; add up to one scrape (1 s) and up to one evaluation interval to be seen, and,
 * below the severe threshold, `(breaches − 1) × interval` more for the consecutive breaches. The
 * estimate is the faster of the severe and the breaches path, with the full scrape and interval, so
 * it is an upper estimate: a ratio above 1 is time the query window, the scrape and the schedule do
 * not explain (the doc's 3 % rows run up to ~12 % over it at p95: rate() is not exactly `e × t / window`).
 * `rollback_time_p95_vs_target` compares the p95 with the issue's target instead, and
 * `rollback_cause` counts runs by cause out of all runs.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { cpus, loadavg, tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { parseArgs } from "node:util";
import { fromBinary } from "@bufbuild/protobuf";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import {
  COORDINATOR_COMMON_NAME,
  createDevelopmentPki,
  createLogger,
  loadGrpcTransportSecurity,
  printBenchFigure,
  satelliteCommonName,
  sleep,
} from "@sentra/common";
import {
  createPeerChannelCredentials,
  createServiceClient,
  SatelliteEventSchema,
  SatelliteService,
  satelliteEventStream,
  satelliteSubject,
} from "@sentra/proto";
import {
  BUILT_IN_GATES,
  DEPLOYMENT_RESOURCE,
  HTTP_ROUTE_RESOURCE,
  type HttpRouteObject,
  loadSatelliteConfig,
  parseRolloutRecord,
  SIM_ERROR_RATE_ANNOTATION,
  SIM_REQUESTS_PER_SECOND_ANNOTATION,
  type SimulatedCluster,
  startSatellite,
  versionedServiceManifests,
  WORKLOAD_METRICS_PATH,
} from "@sentra/satellite";

/** The target of the issue: back at 0 % within 8 s at p95. */
const TARGET_P95_MS = 8_000;
const POLL_MS = 10;
/** Prometheus' scrape interval in this bench, seconds. */
const SCRAPE_SECONDS = 1;

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "10" },
    "error-rate": { type: "string", default: "0.25" },
    window: { type: "string", default: "10" },
    interval: { type: "string", default: "2" },
    rps: { type: "string", default: "100" },
    breaches: { type: "string", default: "3" },
    // Accepted for `npm run bench -- --json`: the output is JSON lines either way.
    json: { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});
if (values.help) {
  process.stdout.write(
    "node bench/dist/release-guard/bench-rollback-main.js [--runs 10] [--error-rate 0.25] [--window 10] [--interval 2] [--breaches 3] [--rps 100]\n" +
      "Raises a canary's error rate and measures the time until its HTTPRoute weight is back to 0 % (real Prometheus, 1 s scrapes);\n" +
      "prints JSON figure lines {name, value, unit, baseline, ratio} on stdout, progress on stderr.\n",
  );
  process.exit(0);
}
const runs = Number(values.runs);
const errorRate = Number(values["error-rate"]);
const windowSeconds = Number(values.window);
const intervalSeconds = Number(values.interval);
const rps = Number(values.rps);
const breaches = Number(values.breaches);
if (!Number.isInteger(runs) || runs < 1) fail("--runs: a whole number ≥ 1");
if (!(errorRate > 0 && errorRate <= 1)) fail("--error-rate: a share of requests, 0 < e ≤ 1");
if (!Number.isInteger(windowSeconds) || windowSeconds < intervalSeconds) fail("--window: whole seconds ≥ --interval");
if (!(intervalSeconds >= 2 && intervalSeconds <= 5)) fail("--interval: 2–5 seconds");
if (!(rps > 0)) fail("--rps: > 0");
if (!Number.isInteger(breaches) || breaches < 1) fail("--breaches: a whole number ≥ 1");

const CANARY_STEP = 20;
/** Built-in gates as they are (thresholds 1 % / 400 ms, severe 5 % / 1000 ms, 50 samples minimum). */
const POLICY = [
  `steps: [${CANARY_STEP}, 30, 50]`,
  "warmupSeconds: 0",
  `intervalSeconds: ${intervalSeconds}`,
  `windowSeconds: ${windowSeconds}`,
  "passesToPromote: 1000",
  `consecutiveBreachesToRollback: ${breaches}`,
  "gates:",
  "  - name: error_rate",
  "  - name: p95_latency_ms",
].join("\n");
const MIN_SAMPLE = 50;

const natsUrl = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
const prefix = `benchrb${process.pid}`;
const cleanups: Array<() => Promise<void> | void> = [];
let cleaning = false;
const cleanup = async (): Promise<void> => {
  if (cleaning) return;
  cleaning = true;
  for (const close of cleanups.reverse()) {
    try {
      await close();
    } catch (error) {
      process.stderr.write(`cleanup: ${String(error)}\n`);
    }
  }
};
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void cleanup().then(() => process.exit(130));
  });
}

try {
  const prometheusPort = await freePort();
  // Measured as deployed: SatelliteService over mTLS, called with the coordinator's certificate.
  const satelliteId = `bench-rollback-${process.pid}`;
  const pkiDir = mkdtempSync(join(tmpdir(), "sentra-bench-pki-"));
  cleanups.push(() => rmSync(pkiDir, { recursive: true, force: true }));
  const pki = await createDevelopmentPki({ dir: pkiDir, satelliteIds: [satelliteId] });
  const satelliteCertificate = pki.satellites.get(satelliteId);
  if (!satelliteCertificate) throw new Error("no satellite certificate");
  const config = loadSatelliteConfig({
    SENTRA_TLS_CA_FILE: pki.caCertificatePath,
    SENTRA_TLS_CERT_FILE: satelliteCertificate.certificatePath,
    SENTRA_TLS_KEY_FILE: satelliteCertificate.privateKeyPath,
    SENTRA_CLOUD: "aws",
    SENTRA_REGION: "eu-west-1",
    SENTRA_SATELLITE_ID: satelliteId,
    NATS_URL: natsUrl,
    SENTRA_SUBJECT_PREFIX: prefix,
    SENTRA_PROMETHEUS_URL: `http://127.0.0.1:${prometheusPort}`,
    SENTRA_SIM_READINESS_DELAY_MS: "200",
    SENTRA_LOG_LEVEL: "silent",
  });
  const satellite = await startSatellite(config, createLogger("satellite", "silent"));
  cleanups.push(async () => {
    const nats = await connect({ servers: natsUrl });
    try {
      await (await jetstreamManager(nats)).streams.delete(satelliteEventStream(prefix).name).catch(() => false);
    } finally {
      await nats.close();
    }
  });
  cleanups.push(() => satellite.close());
  const sim = satellite.clusters.simulatedClusters()[0] as SimulatedCluster;
  const prometheus = await startPrometheus(prometheusPort, new URL(`${satellite.opsUrl}${WORKLOAD_METRICS_PATH}`));
  cleanups.push(() => prometheus.stop());
  const coordinatorSecurity = loadGrpcTransportSecurity(
    {
      mode: "mtls",
      caFile: pki.caCertificatePath,
      certificateFile: pki.coordinator.certificatePath,
      keyFile: pki.coordinator.privateKeyPath,
    },
    COORDINATOR_COMMON_NAME,
    createLogger("bench", "silent"),
  );
  const client = createServiceClient(
    SatelliteService,
    satellite.grpcEndpoint,
    createPeerChannelCredentials(coordinatorSecurity, satelliteCommonName(satelliteId)),
  );
  cleanups.push(() => client.close());
  const nats = await connect({ servers: natsUrl, name: "bench-rollback" });
  cleanups.push(() => nats.close());
  const streams = (await jetstreamManager(nats)).streams;
  const subject = satelliteSubject(satellite.identity.satelliteId, "event", prefix);
  const lastRecord = async () => {
    const message = await streams
      .getMessage(satelliteEventStream(prefix).name, { last_by_subj: subject })
      .catch(() => null);
    if (!message) return undefined;
    return parseRolloutRecord(fromBinary(SatelliteEventSchema, message.data).rolloutStateJson);
  };

  const results: { ms: number; cause: string; evaluations: number }[] = [];
  for (let run = 1; run <= runs; run++) {
    const service = `bench${run}`;
    for (const object of versionedServiceManifests({
      namespace: "default",
      service,
      requestsPerSecond: rps,
      versions: [
        { version: "v1", replicas: 3 },
        { version: "v2", replicas: 3 },
      ],
    })) {
      sim.createObject(object);
    }
    await prometheus.waitForValue(`sum(http_requests_total{service="${service}",version="v1"})`);
    const startedAt = performance.now();
    await client.startRollout({
      rolloutId: `${service}-v2`,
      namespace: "default",
      service,
      stableVersion: "v1",
      canaryVersion: "v2",
      policyYaml: POLICY,
    });
    // Honest gates: passing evaluations on samples above the minimum before anything breaks, and
    // a canary that has had traffic for a whole window (a young series would shorten the window).
    const settledAt = startedAt + (windowSeconds + 2 * intervalSeconds) * 1000;
    await waitFor(`${service}: two passing evaluations`, 60_000 + windowSeconds * 1000, async () => {
      if (performance.now() < settledAt) return false;
      const { rollout } = await client.getRollout({ rolloutId: `${service}-v2` });
      const samples = (rollout?.lastDecision?.gates ?? []).map((gate) => gate.sampleSize);
      return (rollout?.passes ?? 0) >= 2 && samples.length > 0 && samples.every((sample) => sample >= MIN_SAMPLE);
    });
    // A fault does not wait for the guard's schedule: raise it at a random point of the interval.
    await sleep(Math.random() * intervalSeconds * 1000);
    const evaluationsBefore = await errorRateEvaluations(satellite.opsUrl);

    const raisedAt = performance.now();
    sim.patchObject(DEPLOYMENT_RESOURCE, "default", `${service}-v2`, {
      metadata: { annotations: { [SIM_ERROR_RATE_ANNOTATION]: String(errorRate) } },
    });
    const deadline = raisedAt + 120_000;
    for (;;) {
      const route = sim.get(HTTP_ROUTE_RESOURCE, "default", service) as HttpRouteObject;
      const canary = route.spec.rules?.[0]?.backendRefs?.find((ref) => ref.name === `${service}-v2`);
      if (canary?.weight === 0) break;
      if (performance.now() > deadline) throw new Error(`${service}: the canary was not rolled back within 120 s`);
      await sleep(POLL_MS);
    }
    const ms = performance.now() - raisedAt;
    // Why it rolled back, from the rollout's last record on the event stream.
    let cause = "";
    await waitFor(`${service}: the rolled-back record on the event stream`, 10_000, async () => {
      const record = await lastRecord();
      if (record?.spec.id !== `${service}-v2` || record.state.phase !== "rolledBack") return false;
      cause = record.state.cause;
      return true;
    });
    const evaluations = (await errorRateEvaluations(satellite.opsUrl)) - evaluationsBefore;
    results.push({ ms, cause, evaluations });
    process.stderr.write(
      `run ${String(run).padStart(2)}: ${(ms / 1000).toFixed(2)} s (${cause}, ${evaluations} evaluations after the rise)\n`,
    );
    // This service's traffic stops, so later runs do not pay for it.
    sim.patchObject(HTTP_ROUTE_RESOURCE, "default", service, {
      metadata: { annotations: { [SIM_REQUESTS_PER_SECOND_ANNOTATION]: "0" } },
    });
  }

  const sorted = results.map((result) => result.ms).sort((a, b) => a - b);
  const summary = {
    p50Ms: Math.round(percentile(sorted, 50)),
    p95Ms: Math.round(percentile(sorted, 95)),
    maxMs: Math.round(sorted.at(-1) ?? 0),
    minMs: Math.round(sorted[0] ?? 0),
    causes: Object.fromEntries(
      [...new Set(results.map((result) => result.cause))].map((cause) => [
        cause,
        results.filter((result) => result.cause === cause).length,
      ]),
    ),
    cpus: cpus().length,
    loadAverage1m: Number(loadavg()[0]?.toFixed(2)),
  };
  const met = summary.p95Ms <= TARGET_P95_MS;
  const tag = `error_rate=${errorRate},window=${windowSeconds},interval=${intervalSeconds},breaches=${breaches}`;
  const unit = `ms (${runs} runs)`;
  const model = modelRollbackMs();
  printBenchFigure(`rollback_time_p50{${tag}}`, summary.p50Ms, unit, model);
  printBenchFigure(`rollback_time_p95{${tag}}`, summary.p95Ms, unit, model);
  printBenchFigure(`rollback_time_min{${tag}}`, summary.minMs, unit, model);
  printBenchFigure(`rollback_time_max{${tag}}`, summary.maxMs, unit, model);
  printBenchFigure(`rollback_time_p95_vs_target{${tag}}`, summary.p95Ms, unit, TARGET_P95_MS);
  for (const [cause, count] of Object.entries(summary.causes)) {
    printBenchFigure(`rollback_cause{cause=${cause},${tag}}`, count, "runs", runs);
  }
  process.stderr.write(
    [
      "",
      `error rate raised to ${errorRate} → canary weight 0 %: ${runs} runs, window ${windowSeconds} s, interval ${intervalSeconds} s, ${breaches} breaches to roll back, scrape ${SCRAPE_SECONDS} s, ${rps} req/s (${CANARY_STEP} % to the canary)`,
      `p50 ${(summary.p50Ms / 1000).toFixed(2)} s   p95 ${(summary.p95Ms / 1000).toFixed(2)} s   max ${(summary.maxMs / 1000).toFixed(2)} s   min ${(summary.minMs / 1000).toFixed(2)} s   model ${model === undefined ? "none" : `${(model / 1000).toFixed(2)} s`}`,
      `rolled back by: ${Object.entries(summary.causes)
        .map(([cause, count]) => `${cause} × ${count}`)
        .join(", ")}`,
      `target p95 ≤ ${TARGET_P95_MS / 1000} s: ${met ? "met" : "NOT met"}   (load average ${summary.loadAverage1m} on ${summary.cpus} CPUs)`,
      "",
    ].join("\n"),
  );
  await cleanup();
  process.exit(met ? 0 : 1);
} catch (error) {
  process.stderr.write(`bench-rollback: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  await cleanup();
  process.exit(2);
}

/**
 * The model's upper estimate of the rollback time for this run's parameters, ms (see the header):
 * the faster of the severe path and the consecutive-breaches path of the error_rate gate; undefined
 * when the error rate never crosses the threshold (no rollback expected).
 */
function modelRollbackMs(): number | undefined {
  const { threshold, severeThreshold } = BUILT_IN_GATES.error_rate;
  const seen = SCRAPE_SECONDS + intervalSeconds;
  const severe = errorRate > severeThreshold ? (windowSeconds * severeThreshold) / errorRate + seen : Infinity;
  const consecutive =
    errorRate > threshold
      ? (windowSeconds * threshold) / errorRate + seen + (breaches - 1) * intervalSeconds
      : Infinity;
  const seconds = Math.min(severe, consecutive);
  return Number.isFinite(seconds) ? seconds * 1000 : undefined;
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

/** Evaluations of the error_rate gate so far (all rollouts; only the current one is evaluating). */
async function errorRateEvaluations(opsUrl: string): Promise<number> {
  const text = await (await fetch(`${opsUrl}/metrics`)).text();
  return text
    .split("\n")
    .filter(
      (line) =>
        line.startsWith("sentra_satellite_rollout_gate_evaluations_total{") && line.includes('gate="error_rate"'),
    )
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(" ") + 1)), 0);
}

async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A private Prometheus scraping one target every second. */
async function startPrometheus(port: number, target: URL) {
  const binary = findPrometheus();
  const dir = mkdtempSync(join(tmpdir(), "sentra-bench-prometheus-"));
  const configPath = join(dir, "prometheus.yml");
  writeFileSync(
    configPath,
    [
      "global: { scrape_interval: 1s, evaluation_interval: 1s }",
      "scrape_configs:",
      "  - job_name: sentra-sim-workloads",
      `    metrics_path: ${JSON.stringify(target.pathname)}`,
      `    static_configs: [{ targets: [${JSON.stringify(target.host)}] }]`,
      "",
    ].join("\n"),
  );
  const child: ChildProcess = spawn(
    binary,
    [
      `--config.file=${configPath}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--storage.tsdb.retention.time=1h",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  await waitFor("Prometheus to start", 20_000, async () => {
    if (child.exitCode !== null) throw new Error(`prometheus exited:\n${output.slice(-2000)}`);
    return /Server is ready to receive web requests/.test(output);
  }).catch(async (error: unknown) => {
    await stop();
    throw error;
  });
  return {
    stop,
    async waitForValue(promql: string): Promise<void> {
      await waitFor(`a value for ${promql}`, 30_000, async () => {
        const response = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query: promql })}`).catch(
          () => undefined,
        );
        const body = (await response?.json().catch(() => undefined)) as { data?: { result?: unknown[] } } | undefined;
        return (body?.data?.result?.length ?? 0) > 0;
      });
    },
  };
}

function findPrometheus(): string {
  const candidates = process.env.PROMETHEUS_BIN
    ? [process.env.PROMETHEUS_BIN]
    : (process.env.PATH ?? "").split(delimiter).map((folder) => join(folder, "prometheus"));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here; try the next folder.
    }
  }
  throw new Error("Prometheus was not found: apt-get install prometheus, or set PROMETHEUS_BIN");
}

function fail(message: string): never {
  process.stderr.write(`bench-rollback: ${message}\n`);
  process.exit(2);
}
