import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fromBinary } from "@bufbuild/protobuf";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { createLogger, satelliteCommonName } from "@sentra/common";
import {
  createPeerChannelCredentials,
  createServiceClient,
  RolloutPhase,
  type SatelliteEvent,
  SatelliteEventSchema,
  SatelliteService,
  satelliteEventStream,
  satelliteSubject,
} from "@sentra/proto";
import {
  eventually,
  getTestPki,
  type RunningNatsServer,
  type RunningPrometheus,
  startNatsServer,
  startPrometheus,
} from "@sentra/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DEPLOYMENT_RESOURCE,
  HTTP_ROUTE_RESOURCE,
  type HttpRouteObject,
  SIM_ERROR_RATE_ANNOTATION,
  SimulatedCluster,
  versionedServiceManifests,
} from "../cluster/sim/index.js";
import { loadSatelliteConfig } from "../config/satellite-config.js";
import { type RunningSatellite, startSatellite } from "../satellite.js";
import { parseRolloutRecord } from "./rollout-record.js";

/** Sum of the samples of `name` on the satellite's /metrics. */
async function metricValue(opsUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${opsUrl}/metrics`)).text();
  return text
    .split("\n")
    .filter((line) => line.startsWith(`${name} `) || line.startsWith(`${name}{`))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(" ") + 1)), 0);
}

describe("a satellite cut off from NATS, against real Prometheus, a private nats-server and a simulated cluster", () => {
  const prefix = `offline${process.pid}`;
  const satelliteId = `aws-eu-west-1-${prefix}`;
  let kubeconfigPath: string;
  /** A private nats-server with JetStream, so the test can cut the satellite off and restore it. */
  let nats: RunningNatsServer | undefined;
  let sim: SimulatedCluster;
  let prometheus: RunningPrometheus;
  let satellite: RunningSatellite | undefined;
  let observer: NatsConnection | undefined;

  beforeAll(async () => {
    nats = await startNatsServer();
    sim = await SimulatedCluster.start({ name: "prod-eu", readinessDelayMs: 100, traffic: { requestsPerSecond: 200 } });
    sim.ensureNamespace("shop");
    for (const object of versionedServiceManifests({
      namespace: "shop",
      service: "cart",
      versions: [
        { version: "v1", replicas: 3 },
        { version: "v2", replicas: 3 },
      ],
    })) {
      sim.createObject(object);
    }
    kubeconfigPath = join(nats.storeDir, "kubeconfig");
    writeFileSync(kubeconfigPath, sim.kubeconfigYaml({ contextName: "prod-eu" }));
    prometheus = await startPrometheus({ targets: [sim.trafficMetricsUrl ?? ""], scrapeIntervalMs: 1_000 });
    await prometheus.waitForValue('sum(http_requests_total{service="cart",version="v1"})');
  });
  afterAll(async () => {
    await satellite?.close();
    if (observer) {
      const manager = await jetstreamManager(observer);
      await manager.streams.delete(satelliteEventStream(prefix).name).catch(() => false);
      await observer.close();
    }
    await prometheus?.dispose();
    await sim?.close();
    await nats?.dispose();
  });

  /** Every message on the satellite's event subject, with the message id JetStream de-duplicated by. */
  async function storedEvents(): Promise<{ msgId: string; event: SatelliteEvent }[]> {
    observer ??= await connect({ servers: nats?.url, name: "offline-test-observer" });
    const { name } = satelliteEventStream(prefix);
    const subject = satelliteSubject(satelliteId, "event", prefix);
    const messages = await (await jetstream(observer).consumers.get(name, { filter_subjects: subject })).consume();
    const stored: { msgId: string; event: SatelliteEvent }[] = [];
    for await (const message of messages) {
      stored.push({
        msgId: message.headers?.get("Nats-Msg-Id") ?? "",
        event: fromBinary(SatelliteEventSchema, message.data),
      });
      if (message.info.pending === 0) break;
    }
    await messages.close();
    return stored;
  }

  it("still rolls back a bad canary, and once reconnected its outbox delivers every event exactly once", async () => {
    const pki = await getTestPki();
    const config = loadSatelliteConfig({
      ...(await pki.satelliteEnv(satelliteId)),
      SENTRA_CLOUD: "aws",
      SENTRA_REGION: "eu-west-1",
      SENTRA_SATELLITE_ID: satelliteId,
      KUBECONFIG: kubeconfigPath,
      NATS_URL: nats?.url,
      SENTRA_SUBJECT_PREFIX: prefix,
      SENTRA_PROMETHEUS_URL: prometheus.url,
      SENTRA_ROUTER_TIMEOUT_MS: "4000",
    });
    satellite = await startSatellite(config, createLogger("satellite", "silent"));
    const client = createServiceClient(
      SatelliteService,
      satellite.grpcEndpoint,
      createPeerChannelCredentials(
        await pki.coordinatorSecurity(),
        satelliteCommonName(satellite.identity.satelliteId),
      ),
    );
    try {
      await client.startRollout({
        rolloutId: "cart-v2",
        namespace: "shop",
        service: "cart",
        stableVersion: "v1",
        canaryVersion: "v2",
        policyYaml: [
          "steps: [50, 50]",
          "warmupSeconds: 2",
          "intervalSeconds: 2",
          "windowSeconds: 5",
          "passesToPromote: 1000",
          "consecutiveBreachesToRollback: 2",
          "gates:",
          "  - { name: error_rate, minSampleSize: 20 }",
          "  - { name: p95_latency_ms, minSampleSize: 20 }",
        ].join("\n"),
      });
      await eventually(async () => {
        const { rollout } = await client.getRollout({ rolloutId: "cart-v2" });
        expect(rollout?.passes).toBeGreaterThanOrEqual(1);
      }, 30_000);
      const storedBefore = (await storedEvents()).length;
      expect(storedBefore).toBeGreaterThan(0);

      // NATS goes away; then the canary goes bad.
      await nats?.stop();
      sim.patchObject(DEPLOYMENT_RESOURCE, "shop", "cart-v2", {
        metadata: { annotations: { [SIM_ERROR_RATE_ANNOTATION]: "0.5" } },
      });

      // The satellite decides on its own: traffic back to stable while NATS is unreachable.
      let rolledBackSequence = 0;
      await eventually(async () => {
        const { rollout } = await client.getRollout({ rolloutId: "cart-v2" });
        expect(rollout?.phase).toBe(RolloutPhase.ROLLED_BACK);
        rolledBackSequence = rollout?.lastDecision?.sequence ?? 0;
      }, 30_000);
      const route = sim.get(HTTP_ROUTE_RESOURCE, "shop", "cart") as HttpRouteObject;
      expect(route.spec.rules?.[0]?.backendRefs?.map((ref) => [ref.name, ref.weight])).toEqual([
        ["cart-v1", 100],
        ["cart-v2", 0],
      ]);
      const held = await metricValue(satellite.opsUrl, "sentra_satellite_event_outbox_size");
      expect(held).toBeGreaterThan(0);

      // NATS is back (same port, same JetStream store): the outbox drains by itself.
      await nats?.restart();
      const opsUrl = satellite.opsUrl;
      await eventually(
        async () => expect(await metricValue(opsUrl, "sentra_satellite_event_outbox_size")).toBe(0),
        30_000,
      );

      const stored = await storedEvents();
      // Exactly once per event id: JetStream de-duplicates the retries of a publish whose ack was lost.
      const perMsgId = new Map<string, number>();
      for (const { msgId } of stored) perMsgId.set(msgId, (perMsgId.get(msgId) ?? 0) + 1);
      expect([...perMsgId.values()].every((count) => count === 1)).toBe(true);
      expect(stored.map(({ msgId, event }) => msgId === event.eventId)).not.toContain(false);
      // Every event of the rollout, numbered 1..N without a gap, the rollback among them.
      const sequences = stored.map(({ event }) => Number(event.eventId.split(".").at(-1)));
      expect(sequences).toEqual(sequences.map((_, index) => index + 1));
      expect(stored.length).toBeGreaterThanOrEqual(storedBefore + held);
      expect(sequences).toContain(rolledBackSequence);
      const last = parseRolloutRecord(stored.at(-1)?.event.rolloutStateJson ?? "");
      expect(last?.state).toMatchObject({ phase: "rolledBack" });
      expect(last?.sequence).toBe(stored.length);
      expect(await metricValue(opsUrl, "sentra_satellite_events_published_total")).toBe(stored.length);
    } finally {
      client.close();
    }
  }, 90_000);
});
