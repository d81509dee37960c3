import { create, toBinary } from "@bufbuild/protobuf";
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { DASHBOARD_SOCKET_NAMESPACE, type DashboardDelta, type DashboardSnapshot } from "@sentra/common";
import {
  DEFAULT_EVENT_STREAM_MAX_BYTES,
  HealthSummarySchema,
  Liveness,
  msOf,
  SatelliteStatus,
  satelliteEventStream,
  satelliteSubject,
  timestampFromMs,
} from "@sentra/proto";
import { createTestNamespace, eventually, type TestNamespace } from "@sentra/testkit";
import { createConnection } from "mysql2/promise";
import { io, type Socket } from "socket.io-client";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type CoordinatorClient, coordinatorClientWithToken } from "./support/coordinator-auth.js";
import { type CoordinatorProcess, readMetric, startCoordinatorProcess } from "./support/estate-processes.js";

/**
 * Heartbeats of many simulated satellites from one connection, each with its own rising sequence.
 * It remembers when it published each satellite's recent heartbeats, so a test can tell the
 * coordinator's delay from its own: on a loaded machine the publishing test process stalls too.
 */
class HeartbeatFleet {
  private readonly sequences = new Map<string, number>();
  private readonly publishedAtMs = new Map<string, number[]>();
  private readonly startedAtMs = Date.now();
  published = 0;

  constructor(
    private readonly nats: NatsConnection,
    private readonly prefix: string,
    private readonly intervalMs: number,
  ) {}

  beat(satelliteId: string): void {
    const sequence = (this.sequences.get(satelliteId) ?? 0) + 1;
    this.sequences.set(satelliteId, sequence);
    this.nats.publish(
      satelliteSubject(satelliteId, "health", this.prefix),
      toBinary(
        HealthSummarySchema,
        create(HealthSummarySchema, {
          satelliteId,
          region: { cloud: "aws", name: "eu-west-1", latitude: 53.3, longitude: -6.3 },
          sequence,
          sentAt: timestampFromMs(Date.now()),
          startedAt: timestampFromMs(this.startedAtMs),
          status: SatelliteStatus.OK,
          heartbeatIntervalMs: this.intervalMs,
          version: "scale-test",
          clusters: [{ cluster: "sim", reachable: true, workloads: 1, desiredReplicas: 1, readyReplicas: 1 }],
        }),
      ),
    );
    this.published++;
    const times = this.publishedAtMs.get(satelliteId) ?? [];
    times.push(Date.now());
    // A few intervals' worth is all a judgement looks back over.
    if (times.length > 32) times.shift();
    this.publishedAtMs.set(satelliteId, times);
  }

  /**
   * Whether a coordinator asked at `askedAtMs` and answering by `answeredAtMs` must say the
   * satellite is live: a heartbeat left at least `deliveryMs` before the question (time enough to
   * be applied) and less than the liveness bound (three intervals) before the answer — the
   * coordinator judges at some instant between the two, and on a loaded machine a call takes a
   * while. A satellite the fleet itself did not publish in time may be stale. Heartbeats published
   * inside `lost` do not count as due: core NATS queue groups deliver at most once, so one a replica
   * had received but not applied when it was killed is gone, as documented (docs/scale.md).
   */
  mustBeLive(
    satelliteId: string,
    askedAtMs: number,
    answeredAtMs: number,
    deliveryMs: number,
    lost?: { readonly fromMs: number; readonly toMs: number },
  ): boolean {
    const due = this.lastPublishedAtOrBefore(satelliteId, askedAtMs - deliveryMs, lost);
    return due !== undefined && answeredAtMs - due < 3 * this.intervalMs;
  }

  /** When the satellite's latest heartbeat published at or before `atMs` (and outside `lost`) left. */
  lastPublishedAtOrBefore(
    satelliteId: string,
    atMs: number,
    lost?: { readonly fromMs: number; readonly toMs: number },
  ): number | undefined {
    const times = this.publishedAtMs.get(satelliteId) ?? [];
    for (let i = times.length - 1; i >= 0; i--) {
      const at = times[i] as number;
      if (lost !== undefined && at >= lost.fromMs && at <= lost.toMs) continue;
      if (at <= atMs) return at;
    }
    return undefined;
  }

  /** Every satellite of `ids` once per `intervalMs`, spread over the interval, until stopped. */
  run(ids: readonly string[]): () => void {
    let next = 0;
    const tickMs = 20;
    const perTick = Math.max(1, Math.ceil((ids.length * tickMs) / this.intervalMs));
    const timer = setInterval(() => {
      for (let k = 0; k < perTick; k++) {
        this.beat(ids[next] as string);
        next = (next + 1) % ids.length;
      }
    }, tickMs);
    return () => clearInterval(timer);
  }
}

const ids = (count: number, tag: string): string[] =>
  Array.from({ length: count }, (_, i) => `aws-${tag}-${String(i).padStart(4, "0")}`);

async function accepted(coordinator: CoordinatorProcess): Promise<number> {
  return readMetric(coordinator.httpUrl, "sentra_coordinator_nats_messages_total", { kind: "health" });
}

/** Satellites (id → liveness) as one replica serves them over gRPC. */
async function livenessById(client: CoordinatorClient): Promise<Map<string, Liveness>> {
  const { satellites } = await client.listSatellites({});
  return new Map(satellites.map((satellite) => [satellite.id, satellite.liveness]));
}

/** The satellites a dashboard socket of one replica holds after its snapshot and deltas. */
function watchMirror(namespace: TestNamespace, coordinator: CoordinatorProcess): Set<string> {
  const seen = new Set<string>();
  const socket: Socket = io(`${coordinator.httpUrl}${DASHBOARD_SOCKET_NAMESPACE}`, {
    auth: { token: coordinator.adminToken },
    forceNew: true,
    transports: ["websocket"],
  });
  socket.on("snapshot", (snapshot: DashboardSnapshot) => {
    for (const view of snapshot.topics.satellites) seen.add(view.id);
  });
  socket.on("delta", (delta: DashboardDelta) => {
    for (const view of delta.changes.satellites?.upsert ?? []) seen.add(view.id);
  });
  namespace.defer(() => {
    socket.disconnect();
  });
  return seen;
}

describe("ingest at scale over real NATS, Redis and MariaDB", () => {
  let namespace: TestNamespace;
  beforeEach(async () => {
    namespace = await createTestNamespace("ingest");
  });
  afterEach(async () => {
    await namespace.dispose();
  });

  async function replicas(count: number, env: Record<string, string> = {}): Promise<CoordinatorProcess[]> {
    const started: CoordinatorProcess[] = [];
    // One after the other: the first creates the schema and the event stream.
    for (let i = 0; i < count; i++) started.push(await startCoordinatorProcess(namespace, env));
    return started;
  }

  it("three replicas share ingest: each heartbeat applied once, every replica's gRPC view and dashboard mirror complete", async () => {
    const coordinators = await replicas(3);
    // The event stream the coordinators set up is bounded by bytes as well as by age.
    const stream = await (await jetstreamManager(await namespace.nats())).streams.info(
      satelliteEventStream(namespace.subjectPrefix).name,
    );
    expect(stream.config.max_bytes).toBe(DEFAULT_EVENT_STREAM_MAX_BYTES);
    expect(stream.config.max_age).toBeGreaterThan(0);
    const mirrors = coordinators.map((coordinator) => watchMirror(namespace, coordinator));
    const fleet = new HeartbeatFleet(await namespace.nats(), namespace.subjectPrefix, 2_000);
    const satellites = ids(300, "share");
    for (let round = 0; round < 3; round++) {
      for (const id of satellites) fleet.beat(id);
      // Round by round, so no satellite has two heartbeats in flight at two replicas at once.
      await eventually(async () => {
        const total = (await Promise.all(coordinators.map(accepted))).reduce((sum, n) => sum + n, 0);
        expect(total).toBe(fleet.published);
      });
    }
    const shares = await Promise.all(coordinators.map(accepted));
    // Exactly once in all (no replica applies another's message), and each replica took a share.
    expect(shares.reduce((sum, n) => sum + n, 0)).toBe(900);
    for (const share of shares) expect(share).toBeGreaterThan(0);
    for (const coordinator of coordinators) {
      const dropped = await readMetric(coordinator.httpUrl, "sentra_coordinator_nats_messages_dropped_total", {
        kind: "health",
      });
      expect(dropped).toBe(0);
    }
    for (const coordinator of coordinators) {
      const client = coordinatorClientWithToken(namespace, coordinator.grpcAddress, coordinator.adminToken);
      const view = await livenessById(client);
      expect(view.size).toBe(300);
      expect([...view.values()].every((liveness) => liveness === Liveness.LIVE)).toBe(true);
    }
    // Each replica's dashboard sees the whole estate, not only the satellites it ingested itself.
    await eventually(() => {
      for (const mirror of mirrors) expect(mirror.size).toBe(300);
    });
  });

  it("a replica killed with SIGKILL under load: no satellite falsely stale, the survivors take every later heartbeat", async () => {
    const coordinators = await replicas(3);
    const [victim, ...survivors] = coordinators as [CoordinatorProcess, ...CoordinatorProcess[]];
    const clients = survivors.map((coordinator) =>
      coordinatorClientWithToken(namespace, coordinator.grpcAddress, coordinator.adminToken),
    );
    // 200 satellites every 500 ms: stale after 1.5 s without a heartbeat applied.
    const fleet = new HeartbeatFleet(await namespace.nats(), namespace.subjectPrefix, 500);
    const satellites = ids(200, "kill");
    const stop = fleet.run(satellites);
    namespace.defer(stop);
    try {
      await eventually(async () => expect((await livenessById(clients[0] as CoordinatorClient)).size).toBe(200));
      let falselyStale = 0;
      let samples = 0;
      // Falsely stale: not live at a replica although the fleet published it in time (see
      // mustBeLive; 750 ms allowed for delivery, half the 1.5 s bound). A stall of the publishing
      // test process itself is not the coordinator's fault, so it is not counted. Heartbeats that
      // may have been in flight at the victim when it died (published from 750 ms before the kill,
      // the delivery allowance, to 250 ms after it died, until NATS notices the closed connection) may
      // be lost — at-most-once delivery — and are not counted as due.
      let lost: { fromMs: number; toMs: number } | undefined;
      const sample = async (): Promise<void> => {
        for (const client of clients) {
          const askedAtMs = Date.now();
          const view = await livenessById(client);
          const answeredAtMs = Date.now();
          samples++;
          for (const id of satellites) {
            if (fleet.mustBeLive(id, askedAtMs, answeredAtMs, 750, lost) && view.get(id) !== Liveness.LIVE) {
              falselyStale++;
            }
          }
        }
      };
      for (let i = 0; i < 4; i++) {
        await sample();
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      const killAtMs = Date.now();
      lost = { fromMs: killAtMs - 750, toMs: Number.POSITIVE_INFINITY };
      await victim.process.kill();
      lost = { fromMs: killAtMs - 750, toMs: Date.now() + 250 };
      // Through the kill and well past the liveness bound (1.5 s).
      for (const end = Date.now() + 4_000; Date.now() < end; ) {
        await sample();
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(samples).toBeGreaterThan(20);
      expect(falselyStale).toBe(0);
      // After the kill, the queue group gives the survivors every heartbeat: none is lost. Counted
      // from a quiet moment (nothing in flight) to the next one.
      stop();
      const total = async (): Promise<number> =>
        (await Promise.all(survivors.map(accepted))).reduce((sum, n) => sum + n, 0);
      const quiet = async (): Promise<number> => {
        for (;;) {
          const first = await total();
          await new Promise((resolve) => setTimeout(resolve, 300));
          if ((await total()) === first) return first;
        }
      };
      const before = await quiet();
      const publishedBefore = fleet.published;
      const restart = fleet.run(satellites);
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      restart();
      const publishedAfter = fleet.published;
      // 200 satellites every 500 ms for 2 s.
      expect(publishedAfter - publishedBefore).toBeGreaterThan(700);
      await eventually(async () => expect((await total()) - before).toBe(publishedAfter - publishedBefore));
    } finally {
      stop();
    }
  });

  it("a satellite flooding its own subject is rate-limited and does not delay the others' heartbeats", async () => {
    const [coordinator] = (await replicas(1)) as [CoordinatorProcess];
    const client = coordinatorClientWithToken(namespace, coordinator.grpcAddress, coordinator.adminToken);
    const nats = await namespace.nats();
    const fleet = new HeartbeatFleet(nats, namespace.subjectPrefix, 500);
    const quiet = ids(50, "quiet");
    const stop = fleet.run(quiet);
    namespace.defer(stop);
    await eventually(async () => expect((await livenessById(client)).size).toBe(50));
    // The flood: 20,000 heartbeats of one satellite as fast as one connection sends them, for ~4 s.
    const flooder = new HeartbeatFleet(await namespace.nats(), namespace.subjectPrefix, 500);
    // A heartbeat published at least DELIVERY_BOUND_MS before a question must be what the
    // coordinator answers with (or a later one): half the liveness bound (1.5 s), whatever the
    // flood does. Judged against when the fleet really published, not against its schedule.
    const DELIVERY_BOUND_MS = 750;
    let late = 0;
    let judged = 0;
    let stale = 0;
    const floodEnd = Date.now() + 4_000;
    const flood = (async () => {
      while (Date.now() < floodEnd) {
        for (let i = 0; i < 2_000; i++) flooder.beat("aws-flooder");
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    while (Date.now() < floodEnd) {
      const askedAtMs = Date.now();
      const { satellites } = await client.listSatellites({});
      const answeredAtMs = Date.now();
      for (const satellite of satellites) {
        if (satellite.id === "aws-flooder") continue;
        const due = fleet.lastPublishedAtOrBefore(satellite.id, askedAtMs - DELIVERY_BOUND_MS);
        if (due === undefined) continue;
        judged++;
        const lastSeenMs = msOf(satellite.lastSeenAt);
        if (lastSeenMs < due) late++;
        if (
          fleet.mustBeLive(satellite.id, askedAtMs, answeredAtMs, DELIVERY_BOUND_MS) &&
          satellite.liveness !== Liveness.LIVE
        ) {
          stale++;
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await flood;
    stop();
    expect(judged).toBeGreaterThan(50 * 10);
    expect(stale).toBe(0);
    expect(late, `a quiet heartbeat applied more than ${DELIVERY_BOUND_MS} ms after it was published`).toBe(0);
    const limited = await readMetric(coordinator.httpUrl, "sentra_coordinator_nats_messages_dropped_total", {
      kind: "health",
      reason: "rate_limited",
    });
    expect(limited).toBeGreaterThan(flooder.published / 2);
  });

  it("retention forgets satellites gone longer than the retention time, records them retired, and keeps the rest", async () => {
    const [coordinator] = (await replicas(1, { SENTRA_SATELLITE_RETENTION_S: "3" })) as [CoordinatorProcess];
    const client = coordinatorClientWithToken(namespace, coordinator.grpcAddress, coordinator.adminToken);
    const fleet = new HeartbeatFleet(await namespace.nats(), namespace.subjectPrefix, 500);
    const gone = ids(5, "gone");
    const staying = ids(5, "staying");
    for (const id of gone) fleet.beat(id);
    const stop = fleet.run(staying);
    namespace.defer(stop);
    await eventually(async () => expect((await livenessById(client)).size).toBe(10));
    // Stale after 1.5 s, forgotten after 3 s.
    await eventually(async () => {
      const view = await livenessById(client);
      expect([...view.keys()].sort()).toEqual(staying);
    }, 15_000);
    await expect(client.getSatellite({ satelliteId: gone[0] as string })).rejects.toThrow(/not known/);
    const forgotten = await readMetric(coordinator.httpUrl, "sentra_coordinator_satellites_forgotten_total");
    expect(forgotten).toBe(5);
    const mysql = await createConnection({ uri: namespace.mysqlUrl });
    namespace.defer(() => mysql.end());
    await eventually(async () => {
      const [rows] = await mysql.query("SELECT id, liveness FROM satellites ORDER BY id");
      const byId = Object.fromEntries((rows as Array<{ id: string; liveness: string }>).map((r) => [r.id, r.liveness]));
      for (const id of gone) expect(byId[id]).toBe("retired");
      for (const id of staying) expect(byId[id]).toBe("live");
    });
    // A retired satellite that comes back is live again, in Redis and in the record.
    fleet.beat(gone[0] as string);
    await eventually(async () => expect((await livenessById(client)).get(gone[0] as string)).toBe(Liveness.LIVE));
    await eventually(async () => {
      const [rows] = await mysql.query("SELECT liveness FROM satellites WHERE id = ?", [gone[0]]);
      expect((rows as Array<{ liveness: string }>)[0]?.liveness).toBe("live");
    });
    stop();
  });
});
