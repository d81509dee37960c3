import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fromBinary } from "@bufbuild/protobuf";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { createLogger, type SentraError, satelliteCommonName, sleep } from "@sentra/common";
import {
  createPeerChannelCredentials,
  createServiceClient,
  GateOutcome,
  msOf,
  type Rollout,
  RolloutPhase,
  type SatelliteEvent,
  SatelliteEventSchema,
  SatelliteService,
  satelliteEventStream,
  satelliteSubject,
  TrafficRouterKind,
} from "@sentra/proto";
import {
  createTestNamespace,
  eventually,
  getTestPki,
  type RunningPrometheus,
  startPrometheus,
  type TestNamespace,
} from "@sentra/testkit";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  DEPLOYMENT_RESOURCE,
  HTTP_ROUTE_RESOURCE,
  type HttpRouteObject,
  SIM_ERROR_RATE_ANNOTATION,
  SIM_REQUESTS_PER_SECOND_ANNOTATION,
  SimulatedCluster,
  versionedServiceManifests,
} from "../cluster/sim/index.js";
import { loadSatelliteConfig } from "../config/satellite-config.js";
import { startSatellite } from "../satellite.js";
import { parseRolloutRecord } from "./rollout-record.js";

/**
 * Fast but real: 2 s decisions over a 5 s window, Prometheus scraping every second. The gates are
 * the built-in PromQL ones (their queries and severe thresholds), with a sample floor that the
 * simulated 200 requests/s clear within a window. Without `judge` the gates take the default (the
 * sequential judge, against the stable version); the threshold rule's own tests name it.
 */
function policy(overrides = "", judge?: "threshold" | "sequential"): string {
  const judged = judge === undefined ? "" : `\n    judge: ${judge}`;
  return `
strategy: canary
steps: [50, 50]
warmupSeconds: 2
intervalSeconds: 2
windowSeconds: 5
passesToPromote: 2
consecutiveBreachesToRollback: 2
telemetryLoss:
  pauseAfterSeconds: 2
  revertAfterSeconds: 6
gates:
  - name: error_rate
    minSampleSize: 20${judged}
  - name: p95_latency_ms
    minSampleSize: 20${judged}
${overrides}`;
}

/** Sum of the samples of `name` whose labels include `labels`, from a text exposition. */
async function metricValue(opsUrl: string, name: string, labels: Record<string, string>): Promise<number> {
  const text = await (await fetch(`${opsUrl}/metrics`)).text();
  let total = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`)) continue;
    if (Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`))) {
      total += Number(line.slice(line.lastIndexOf(" ") + 1));
    }
  }
  return total;
}

/** Every event of one satellite on the stream, in order. */
async function readEvents(namespace: TestNamespace, satelliteId: string): Promise<SatelliteEvent[]> {
  const nats = await namespace.nats();
  const { name } = satelliteEventStream(namespace.subjectPrefix);
  const subject = satelliteSubject(satelliteId, "event", namespace.subjectPrefix);
  const info = await (await jetstreamManager(nats)).streams.info(name, { subjects_filter: subject });
  if ((info.state.subjects?.[subject] ?? 0) === 0) return [];
  const messages = await (await jetstream(nats).consumers.get(name, { filter_subjects: subject })).consume();
  const events: SatelliteEvent[] = [];
  for await (const message of messages) {
    events.push(fromBinary(SatelliteEventSchema, message.data));
    if (message.info.pending === 0) break;
  }
  await messages.close();
  return events;
}

describe("release guard in a running satellite, against real Prometheus, NATS JetStream and a simulated cluster", () => {
  let sim: SimulatedCluster;
  let prometheus: RunningPrometheus;
  let kubeconfigPath: string;
  let namespace: TestNamespace;

  beforeAll(async () => {
    sim = await SimulatedCluster.start({ name: "prod-eu", readinessDelayMs: 100, traffic: { requestsPerSecond: 200 } });
    sim.ensureNamespace("shop");
    kubeconfigPath = join(tmpdir(), `sentra-release-guard-${process.pid}.kubeconfig`);
    writeFileSync(kubeconfigPath, sim.kubeconfigYaml({ contextName: "prod-eu" }));
    prometheus = await startPrometheus({ targets: [sim.trafficMetricsUrl ?? ""], scrapeIntervalMs: 1_000 });
  });
  afterAll(async () => {
    await prometheus?.dispose();
    await sim?.close();
  });
  beforeEach(async () => {
    namespace = await createTestNamespace("rg");
    namespace.defer(async () => {
      const manager = await jetstreamManager(await namespace.nats());
      await manager.streams.delete(satelliteEventStream(namespace.subjectPrefix).name).catch(() => false);
    });
  });
  afterEach(async () => {
    await namespace.dispose();
  });

  /** A service with a stable and a canary version, its Services and an HTTPRoute to the stable. */
  async function deployService(service: string, canary: { errorRate?: number } = {}): Promise<void> {
    for (const object of versionedServiceManifests({
      namespace: "shop",
      service,
      versions: [
        { version: "v1", replicas: 3 },
        { version: "v2", replicas: 3, ...canary },
      ],
    })) {
      sim.createObject(object);
    }
    // Its real requests stop with the test, so later tests do not pay for them in CPU.
    namespace.defer(() => {
      sim.patchObject(HTTP_ROUTE_RESOURCE, "shop", service, {
        metadata: { annotations: { [SIM_REQUESTS_PER_SECOND_ANNOTATION]: "0" } },
      });
    });
    // Scrapes are flowing for this service before any rollout is judged on them.
    await prometheus.waitForValue(`sum(http_requests_total{service="${service}",version="v1"})`);
  }

  async function startGuardedSatellite(env: Record<string, string> = {}) {
    const pki = await getTestPki();
    const satelliteId = env.SENTRA_SATELLITE_ID ?? `aws-eu-west-1-${namespace.id}`;
    const config = loadSatelliteConfig({
      ...(await pki.satelliteEnv(satelliteId)),
      SENTRA_CLOUD: "aws",
      SENTRA_REGION: "eu-west-1",
      SENTRA_SATELLITE_ID: satelliteId,
      KUBECONFIG: kubeconfigPath,
      NATS_URL: namespace.urls.natsUrl,
      SENTRA_SUBJECT_PREFIX: namespace.subjectPrefix,
      SENTRA_PROMETHEUS_URL: prometheus.url,
      SENTRA_ROUTER_TIMEOUT_MS: "4000",
      ...env,
    });
    const satellite = await startSatellite(config, createLogger("satellite", "silent"));
    namespace.defer(() => satellite.close());
    const client = createServiceClient(
      SatelliteService,
      satellite.grpcEndpoint,
      createPeerChannelCredentials(
        await pki.coordinatorSecurity(),
        satelliteCommonName(satellite.identity.satelliteId),
      ),
    );
    namespace.defer(() => client.close());
    return { satellite, client };
  }

  /** Requests a version's pods have served so far, from the simulated workloads' own counters. */
  async function simulatedRequests(service: string, version: string): Promise<number> {
    let total = 0;
    for (const metric of (await sim.traffic?.metricsAsJSON()) ?? []) {
      if (metric.name !== "http_requests_total") continue;
      for (const { labels, value } of metric.values) {
        if (labels.service === service && labels.version === version) total += value;
      }
    }
    return total;
  }

  const backendWeights = (service: string) =>
    Object.fromEntries(
      ((sim.get(HTTP_ROUTE_RESOURCE, "shop", service) as HttpRouteObject).spec.rules?.[0]?.backendRefs ?? []).map(
        (ref) => [ref.name, ref.weight],
      ),
    );

  it("promotes a healthy canary step by step on Prometheus' numbers and records every decision on JetStream", async () => {
    await deployService("checkout");
    const { satellite, client } = await startGuardedSatellite();

    const started = await client.startRollout({
      rolloutId: "checkout-v2",
      namespace: "shop",
      service: "checkout",
      stableVersion: "v1",
      canaryVersion: "v2",
      policyYaml: policy(),
      trafficRouter: TrafficRouterKind.GATEWAY_API,
    });
    expect(started.replayed).toBe(false);
    expect(started.rollout?.phase).toBe(RolloutPhase.WARMING_UP);
    expect(started.rollout?.canaryWeight).toBe(50);
    expect(started.rollout?.steps).toEqual([50, 100]);
    expect(backendWeights("checkout")).toEqual({ "checkout-v1": 50, "checkout-v2": 50 });

    // While it runs, the sequential judge's statistic and its bound (1/α, α 0.01 split over two
    // gates) are on /metrics.
    await eventually(async () => {
      const labels = { rollout: "checkout-v2", gate: "error_rate", test: "mSPRT" };
      expect(await metricValue(satellite.opsUrl, "sentra_satellite_rollout_gate_statistic_bound", labels)).toBe(200);
    }, 20_000);
    let rollout: Rollout | undefined;
    await eventually(async () => {
      rollout = (await client.getRollout({ rolloutId: "checkout-v2" })).rollout;
      expect(rollout?.phase).toBe(RolloutPhase.PROMOTED);
    }, 40_000);
    expect(rollout?.canaryWeight).toBe(100);
    expect(rollout?.trafficRouter).toBe("gateway-api");
    expect(backendWeights("checkout")).toEqual({ "checkout-v1": 0, "checkout-v2": 100 });

    const events = await readEvents(namespace, satellite.identity.satelliteId);
    // One numbered, de-duplicable stream per rollout: 1, 2, 3 … with no gap.
    expect(events.map((event) => Number(event.eventId.split(".").at(-1)))).toEqual(events.map((_, index) => index + 1));
    const decisions = events.flatMap((event) => (event.body.case === "rolloutDecision" ? [event.body.value] : []));
    expect(decisions.map((decision) => decision.sequence)).toEqual(
      events
        .filter((event) => event.body.case === "rolloutDecision")
        .map((event) => Number(event.eventId.split(".").at(-1))),
    );
    expect(decisions.filter((decision) => decision.decision === "advance")).toHaveLength(1);
    // Two passing evaluations per step; the last one of a step is recorded as its advance/promote.
    const passes = decisions.filter(
      (decision) => decision.gates.length > 0 && ["pass", "advance", "promote"].includes(decision.decision),
    );
    expect(passes.map((decision) => decision.decision)).toEqual(expect.arrayContaining(["pass", "advance", "promote"]));
    expect(passes.length).toBeGreaterThanOrEqual(4);
    for (const pass of passes) {
      const errorRate = pass.gates.find((gate) => gate.gate === "error_rate");
      const latency = pass.gates.find((gate) => gate.gate === "p95_latency_ms");
      expect(errorRate?.outcome).toBe(GateOutcome.PASS);
      expect(errorRate?.value).toBe(0);
      expect(errorRate?.sampleSize).toBeGreaterThanOrEqual(20);
      // The simulated pods answer in 20–60 ms; Prometheus interpolates p95 inside its bucket.
      expect(latency?.value).toBeGreaterThan(20);
      expect(latency?.value).toBeLessThan(100);
    }
    const last = parseRolloutRecord(events.at(-1)?.rolloutStateJson ?? "");
    expect(last?.state.phase).toBe("promoted");
    expect(last?.sequence).toBe(events.length);
  }, 60_000);

  it("rolls back a canary that breaches its error-rate gate twice in a row, with the incident on JetStream", async () => {
    await deployService("cart", { errorRate: 0.025 });
    const { satellite, client } = await startGuardedSatellite();
    await client.startRollout({
      rolloutId: "cart-v2",
      namespace: "shop",
      service: "cart",
      stableVersion: "v1",
      canaryVersion: "v2",
      policyYaml: policy("", "threshold"),
    });

    await eventually(async () => {
      const { rollout } = await client.getRollout({ rolloutId: "cart-v2" });
      expect(rollout?.phase).toBe(RolloutPhase.ROLLED_BACK);
    }, 40_000);
    expect(backendWeights("cart")).toEqual({ "cart-v1": 100, "cart-v2": 0 });

    const events = await readEvents(namespace, satellite.identity.satelliteId);
    // The second breach in a row is recorded as the rollback decision, with the same gate values.
    const breaches = events.flatMap((event) =>
      event.body.case === "rolloutDecision" && ["breach", "rollback"].includes(event.body.value.decision)
        ? [event.body.value]
        : [],
    );
    expect(breaches.map((decision) => decision.decision).slice(-2)).toEqual(["breach", "rollback"]);
    const errorRate = breaches.at(-1)?.gates.find((gate) => gate.gate === "error_rate");
    expect(errorRate?.outcome).toBe(GateOutcome.BREACH);
    // 2.5 % of the canary's requests fail: above the 1 % threshold, well below the 5 % severe one.
    expect(errorRate?.value).toBeGreaterThan(0.015);
    expect(errorRate?.value).toBeLessThan(0.035);
    const incident = events.find((event) => event.body.case === "incident");
    expect(incident?.body.value).toMatchObject({
      rolloutId: "cart-v2",
      severity: "critical",
      summary: expect.stringMatching(/^rollback: /),
    });
    expect(parseRolloutRecord(events.at(-1)?.rolloutStateJson ?? "")?.state).toMatchObject({
      phase: "rolledBack",
      cause: "breaches",
    });

    const metric = (name: string, labels: Record<string, string>) => metricValue(satellite.opsUrl, name, labels);
    // Counted once per evaluation, however many decisions it produced.
    const breachingEvaluations = new Set(
      events.flatMap((event) =>
        event.body.case === "rolloutDecision" &&
        event.body.value.gates.some((gate) => gate.gate === "error_rate" && gate.outcome === GateOutcome.BREACH)
          ? [msOf(event.body.value.at)]
          : [],
      ),
    );
    expect(
      await metric("sentra_satellite_rollout_gate_evaluations_total", { gate: "error_rate", outcome: "breach" }),
    ).toBe(breachingEvaluations.size);
    expect(await metric("sentra_satellite_rollout_transitions_total", { to: "rolledBack" })).toBe(1);
    expect(
      await metric("sentra_satellite_telemetry_queries_total", { provider: "prometheus", result: "value" }),
    ).toBeGreaterThan(0);
    expect(await metric("sentra_satellite_events_published_total", {})).toBe(events.length);
  }, 60_000);

  it("rolls back on the sequential judge's evidence: the canary's errors against the stable version's, with the statistic recorded", async () => {
    // 2 % of the canary's requests fail, none of stable's: below the severe threshold (5 %), so
    // only the sequential test can act, and it needs no run of breaches to do so.
    await deployService("basket", { errorRate: 0.02 });
    const { satellite, client } = await startGuardedSatellite();
    await client.startRollout({
      rolloutId: "basket-v2",
      namespace: "shop",
      service: "basket",
      stableVersion: "v1",
      canaryVersion: "v2",
      policyYaml: policy("errorBudget: { slo: 0.999 }\n", "sequential").replace(
        "consecutiveBreachesToRollback: 2",
        "consecutiveBreachesToRollback: 100",
      ),
    });
    let rollout: Rollout | undefined;
    await eventually(async () => {
      rollout = (await client.getRollout({ rolloutId: "basket-v2" })).rollout;
      expect(rollout?.phase).toBe(RolloutPhase.ROLLED_BACK);
    }, 40_000);
    expect(backendWeights("basket")).toEqual({ "basket-v1": 100, "basket-v2": 0 });
    // GetRollout reports the error budget the canary burned.
    expect(rollout?.errorBudget?.slo).toBe(0.999);
    expect(rollout?.errorBudget?.excessErrors).toBeGreaterThan(0);

    const events = await readEvents(namespace, satellite.identity.satelliteId);
    const rollback = events.flatMap((event) =>
      event.body.case === "rolloutDecision" && event.body.value.decision === "rollback" ? [event.body.value] : [],
    )[0];
    expect(rollback?.reason).toMatch(/conclusive evidence: error_rate worse than baseline: e-value/);
    const errorRate = rollback?.gates.find((gate) => gate.gate === "error_rate");
    expect(errorRate).toMatchObject({ judge: "sequential", conclusive: true, outcome: GateOutcome.BREACH });
    expect(errorRate?.evidence?.test).toBe("mSPRT");
    expect(errorRate?.evidence?.statistic).toBeGreaterThanOrEqual(
      errorRate?.evidence?.bound ?? Number.POSITIVE_INFINITY,
    );
    expect(errorRate?.evidence?.canaryEvents).toBeGreaterThan(0);
    expect(errorRate?.evidence?.baselineEvents).toBe(0);
    expect(parseRolloutRecord(events.at(-1)?.rolloutStateJson ?? "")?.state).toMatchObject({
      phase: "rolledBack",
      cause: "evidence",
    });
  }, 60_000);

  it("rolls back at the next evaluation once the error rate is beyond its severe threshold", async () => {
    await deployService("orders");
    const { satellite, client } = await startGuardedSatellite();
    // Only a severe breach can roll back here: the canary would need 10 breaches in a row otherwise,
    // and 1000 passes to advance.
    await client.startRollout({
      rolloutId: "orders-v2",
      namespace: "shop",
      service: "orders",
      stableVersion: "v1",
      canaryVersion: "v2",
      policyYaml: policy("", "threshold")
        .replace("consecutiveBreachesToRollback: 2", "consecutiveBreachesToRollback: 10")
        .replace("passesToPromote: 2", "passesToPromote: 1000"),
    });
    await eventually(async () => {
      const { rollout } = await client.getRollout({ rolloutId: "orders-v2" });
      expect(rollout?.passes).toBeGreaterThanOrEqual(1);
    }, 30_000);

    const raisedAtMs = Date.now();
    sim.patchObject(DEPLOYMENT_RESOURCE, "shop", "orders-v2", {
      metadata: { annotations: { [SIM_ERROR_RATE_ANNOTATION]: "0.5" } },
    });
    await eventually(async () => {
      const { rollout } = await client.getRollout({ rolloutId: "orders-v2" });
      expect(rollout?.phase).toBe(RolloutPhase.ROLLED_BACK);
    }, 30_000);
    expect(backendWeights("orders")).toEqual({ "orders-v1": 100, "orders-v2": 0 });

    const events = await readEvents(namespace, satellite.identity.satelliteId);
    // The evaluations since the rise, in order (the decisions that carry gate values).
    const evaluations = events.flatMap((event) =>
      event.body.case === "rolloutDecision" &&
      event.body.value.gates.length > 0 &&
      msOf(event.body.value.at) >= raisedAtMs
        ? [event.body.value]
        : [],
    );
    const errorRate = (decision: (typeof evaluations)[number]) =>
      decision.gates.find((gate) => gate.gate === "error_rate")?.value ?? 0;
    const firstSevere = evaluations.findIndex((decision) => errorRate(decision) > 0.05);
    // The first evaluation that sees the severe value is the rollback: no breach count, no waiting.
    expect(firstSevere).toBeGreaterThanOrEqual(0);
    expect(evaluations[firstSevere]?.decision).toBe("rollback");
    expect(evaluations.slice(firstSevere + 1)).toEqual([]);
    // Before it, only evaluations that Prometheus' scrapes had not caught up with yet (1 s scrapes, 2 s interval).
    expect(firstSevere).toBeLessThanOrEqual(2);
    expect(parseRolloutRecord(events.at(-1)?.rolloutStateJson ?? "")?.state).toMatchObject({
      phase: "rolledBack",
      cause: "severe",
    });
  }, 60_000);

  it("completes a rollback when the router's API fails: the replica-ratio fallback at once, then the route repaired — the canary ends at 0 %", async () => {
    await deployService("search");
    const { satellite, client } = await startGuardedSatellite();
    await client.startRollout({
      rolloutId: "search-v2",
      namespace: "shop",
      service: "search",
      stableVersion: "v1",
      canaryVersion: "v2",
      policyYaml: policy(),
    });
    expect(backendWeights("search")).toEqual({ "search-v1": 50, "search-v2": 50 });

    // The gateway's API breaks, then the canary goes bad: 50 % errors is a severe breach.
    sim.failRequests({ method: "PUT", pathPattern: "/httproutes/search$", status: 500, times: "always" });
    sim.patchObject(DEPLOYMENT_RESOURCE, "shop", "search-v2", {
      metadata: { annotations: { [SIM_ERROR_RATE_ANNOTATION]: "0.5" } },
    });

    let rollout: Rollout | undefined;
    await eventually(async () => {
      rollout = (await client.getRollout({ rolloutId: "search-v2" })).rollout;
      expect(rollout?.phase).toBe(RolloutPhase.ROLLED_BACK);
      // The engine's phase is live; the record's last decision follows once the events before it
      // are on JetStream (each waits up to SENTRA_EVENT_ACK_WAIT_MS for its ack on a busy machine).
      expect(rollout?.lastDecision?.decision).toBe("rollbackComplete");
    }, 30_000);
    expect(rollout?.trafficRouter).toBe("replica-ratio (fallback)");
    expect(rollout?.lastDecision?.router).toBe("replica-ratio");
    expect(rollout?.message).toMatch(/via the fallback router \(primary failed: prod-eu\/shop\/httproutes\/search: /);
    // The canary is out of service; the route still says 50/50 because it could not be written.
    expect(sim.getDeployment("shop", "search-v2")?.spec.replicas).toBe(0);
    expect(sim.getDeployment("shop", "search-v1")?.spec.replicas).toBe(3);
    expect(backendWeights("search")).toEqual({ "search-v1": 50, "search-v2": 50 });
    // No pod of the canary serves a request any more (the gateway answers its share itself).
    await eventually(() => expect(sim.pendingReadinessChanges).toBe(0));
    // Requests already sent to its pods are answered (real HTTP: they finish after the scale-down).
    await sim.traffic?.settled();
    const canaryServed = await simulatedRequests("search", "v2");
    await sleep(1_000);
    expect(await simulatedRequests("search", "v2")).toBe(canaryServed);

    // The gateway's API comes back: the guard puts the route itself back to 0 % canary.
    sim.clearFailures();
    await eventually(() => expect(backendWeights("search")).toEqual({ "search-v1": 100, "search-v2": 0 }), 20_000);

    const calls = (labels: Record<string, string>) =>
      metricValue(satellite.opsUrl, "sentra_satellite_traffic_router_calls_total", labels);
    expect(await calls({ router: "gateway-api", role: "primary", outcome: "error" })).toBeGreaterThanOrEqual(1);
    expect(await calls({ router: "replica-ratio", role: "fallback", outcome: "ok" })).toBe(1);
    expect(await calls({ router: "gateway-api", role: "repair", outcome: "ok" })).toBe(1);
    expect(
      await metricValue(satellite.opsUrl, "sentra_satellite_traffic_route_repairs_total", { outcome: "repaired" }),
    ).toBe(1);
  }, 60_000);

  it("pauses when Prometheus goes away and reverts to stable once telemetry stays lost", async () => {
    await deployService("ledger");
    const { satellite, client } = await startGuardedSatellite();
    await client.startRollout({
      rolloutId: "ledger-v2",
      namespace: "shop",
      service: "ledger",
      stableVersion: "v1",
      canaryVersion: "v2",
      policyYaml: policy(),
    });
    try {
      await prometheus.stop();
      await eventually(async () => {
        const { rollout } = await client.getRollout({ rolloutId: "ledger-v2" });
        expect(rollout?.phase).toBe(RolloutPhase.PAUSED);
        expect(rollout?.message).toMatch(/telemetry/i);
      }, 20_000);
      await eventually(async () => {
        const { rollout } = await client.getRollout({ rolloutId: "ledger-v2" });
        expect(rollout?.phase).toBe(RolloutPhase.ROLLED_BACK);
      }, 20_000);
    } finally {
      await prometheus.restart();
    }
    expect(backendWeights("ledger")).toEqual({ "ledger-v1": 100, "ledger-v2": 0 });
    const events = await readEvents(namespace, satellite.identity.satelliteId);
    const incidents = events.flatMap((event) => (event.body.case === "incident" ? [event.body.value] : []));
    expect(incidents.map((incident) => incident.summary.split(":")[0])).toEqual(
      expect.arrayContaining(["telemetryLost", "rollback"]),
    );
    expect(parseRolloutRecord(events.at(-1)?.rolloutStateJson ?? "")?.state).toMatchObject({
      phase: "rolledBack",
      cause: "telemetryLost",
    });
  }, 60_000);

  it("answers bad requests with the field at fault, replays a repeated start, and aborts on request", async () => {
    await deployService("payments");
    const { satellite, client } = await startGuardedSatellite();
    const base = {
      rolloutId: "payments-v2",
      namespace: "shop",
      service: "payments",
      stableVersion: "v1",
      canaryVersion: "v2",
      policyYaml: policy(),
    };
    const failure = (promise: Promise<unknown>) =>
      promise.then(
        () => undefined,
        (error: SentraError) => error,
      );

    const badPolicy = await failure(
      client.startRollout({ ...base, policyYaml: "steps: [5, 15]\nintervalSeconds: 9\n" }),
    );
    expect(badPolicy).toMatchObject({ code: "INVALID_ARGUMENT", field: "policy_yaml" });
    expect(badPolicy?.message).toContain("payments-v2/policy.yaml:1:8: steps: increments must sum to 100, got 20");
    expect(badPolicy?.message).toContain("payments-v2/policy.yaml:2:18: intervalSeconds:");
    expect(await failure(client.startRollout({ ...base, routeName: "nope" }))).toMatchObject({ code: "NOT_FOUND" });
    expect(await failure(client.startRollout({ ...base, canaryVersion: "v9" }))).toMatchObject({
      code: "NOT_FOUND",
      message: expect.stringContaining("payments-v9"),
    });
    // The Istio router edits the VirtualService `payments`, which this service does not have.
    expect(await failure(client.startRollout({ ...base, trafficRouter: TrafficRouterKind.ISTIO }))).toMatchObject({
      code: "NOT_FOUND",
      message: expect.stringContaining("virtualservices/payments"),
    });
    // A listed gate whose provider this satellite has no URL for would hold the rollout forever.
    const tempoGate = await failure(
      client.startRollout({ ...base, policyYaml: "gates:\n  - name: error_rate\n  - name: trace_error_ratio\n" }),
    );
    expect(tempoGate).toMatchObject({ code: "INVALID_ARGUMENT", field: "policy_yaml" });
    expect(tempoGate?.message).toContain(
      'payments-v2/policy.yaml:3:5: gates[1]: gate "trace_error_ratio": provider tempo is not configured on this satellite (set SENTRA_TEMPO_URL)',
    );
    expect(await failure(client.startRollout({ ...base, canaryVersion: "V2!" }))).toMatchObject({
      code: "INVALID_ARGUMENT",
      field: "canary_version",
    });
    // Nothing was started by the refused requests, and the route was not touched.
    expect((await client.listRollouts({})).rollouts).toEqual([]);
    expect(backendWeights("payments")).toEqual({ "payments-v1": 100 });

    const first = await client.startRollout(base);
    const again = await client.startRollout(base);
    expect(again.replayed).toBe(true);
    expect(again.rollout?.id).toBe(first.rollout?.id);
    expect(
      await failure(client.startRollout({ ...base, policyYaml: policy("# the same, but not the same text") })),
    ).toMatchObject({
      code: "ALREADY_EXISTS",
      details: { differences: ["policy_yaml"] },
    });
    expect(await failure(client.startRollout({ ...base, rolloutId: "payments-v2-b" }))).toMatchObject({
      code: "FAILED_PRECONDITION",
    });

    const aborted = await client.abortRollout({ rolloutId: "payments-v2", reason: "wrong build", actor: "ana" });
    expect(aborted.rollout?.phase).toBe(RolloutPhase.ABORTED);
    expect(backendWeights("payments")).toEqual({ "payments-v1": 100, "payments-v2": 0 });
    expect((await client.listRollouts({ activeOnly: true })).rollouts).toEqual([]);
    expect((await client.listRollouts({})).rollouts.map((rollout) => rollout.id)).toEqual(["payments-v2"]);
    expect(await failure(client.getRollout({ rolloutId: "nope" }))).toMatchObject({
      code: "NOT_FOUND",
      field: "rollout_id",
    });

    // The default policy without Loki: its log gate is left out, not held unknown forever.
    await client.startRollout({ ...base, rolloutId: "payments-v2-defaults", policyYaml: "" });
    const events = await readEvents(namespace, satellite.identity.satelliteId);
    const record = parseRolloutRecord(
      events.filter((event) => event.eventId.includes(".payments-v2-defaults.")).at(-1)?.rolloutStateJson ?? "",
    );
    expect(record?.spec.policy.gates.map((gate) => gate.name)).toEqual(["error_rate", "p95_latency_ms"]);
    await client.abortRollout({ rolloutId: "payments-v2-defaults" });
  }, 30_000);
});
