import "reflect-metadata";
import { create } from "@bufbuild/protobuf";
import { type INestApplication, Module } from "@nestjs/common";
import { NestFactory } from "@nestjs/core";
import {
  createLogger,
  DASHBOARD_AUTH_ERROR,
  DASHBOARD_SOCKET_NAMESPACE,
  type DashboardActionResult,
  type DashboardDelta,
  type DashboardSnapshot,
  type MigrationView,
  SentraError,
} from "@sentra/common";
import {
  HealthSummarySchema,
  Liveness,
  MigrationPlanSchema,
  PriceSnapshotSchema,
  SatelliteStatus,
} from "@sentra/proto";
import { Registry } from "prom-client";
import { io, type Socket } from "socket.io-client";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { COORDINATOR_CONFIG, type CoordinatorConfig, LOGGER } from "../config/coordinator-config.js";
import { EstateEvents } from "../estate/estate-events.js";
import { EstateStore } from "../estate/estate-store.js";
import { planJson } from "../migration/arbitrage-estate-adapter.js";
import { DashboardGateway } from "./dashboard.gateway.js";
import { DashboardAccess } from "./dashboard-access.js";
import { DashboardActions } from "./dashboard-actions.js";
import { DashboardFeed } from "./dashboard-feed.service.js";
import { DashboardMetrics } from "./dashboard-metrics.js";

const TOKEN = "gateway-test-token-0123456789";
const VIEWER_TOKEN = "gateway-test-viewer-0123456789";
const DELTA_INTERVAL_MS = 50;

/** Only what the feed reads at start-up: an empty estate. */
const emptyStore = {
  satellites: async () => [],
  currentPrices: async () => [],
  workloads: async () => [],
} as unknown as EstateStore;

const config = {
  priceTtlMs: 30_000,
  dashboard: { token: TOKEN, tokenFile: "", staticDir: "", deltaIntervalMs: DELTA_INTERVAL_MS },
} as unknown as CoordinatorConfig;

/** A refused dry run as the migration service throws it: FAILED_PRECONDITION with the plan as details. */
const refusedPlan = create(MigrationPlanSchema, {
  workload: { satelliteId: "aws-us-east-2", cluster: "sim", namespace: "default", name: "search-indexer" },
  sourceCloud: "aws",
  sourceRegion: "us-east-2",
  targetCloud: "aws",
  targetRegion: "us-east-1",
  costNowUsdPerHour: 0.03,
  costTargetUsdPerHour: 0.1,
  horizonHours: 24,
  savings24hUsd: -1.68,
  egressUsd: 0.4,
  overlapUsd: 0.0108,
  marginUsd: -2.0908,
  accepted: false,
  refusalCode: "MARGIN_NOT_POSITIVE",
  refusalReason: "moving default/search-indexer would not pay: margin −2.09 USD",
  priced: true,
});

/** Records what the gateway let through to the actions. */
const actionCalls: Array<{ action: string; body: unknown; actor?: string }> = [];
const fakeActions = {
  planMigration: async (body: unknown) => {
    actionCalls.push({ action: "planMigration", body });
    throw new SentraError("FAILED_PRECONDITION", refusedPlan.refusalReason, { details: planJson(refusedPlan) });
  },
  migrate: async (body: unknown, actor: string) => {
    actionCalls.push({ action: "migrate", body, actor });
    return { migration: { id: "m-1" } as MigrationView, replayed: false };
  },
  promoteRollout: async (body: unknown, actor: string) => {
    actionCalls.push({ action: "promoteRollout", body, actor });
    throw new Error("satellite connection reset");
  },
  abortRollout: async (body: unknown, actor: string) => {
    actionCalls.push({ action: "abortRollout", body, actor });
    throw new SentraError("NOT_FOUND", "no rollout ro-1", { field: "rollout_id" });
  },
} as unknown as DashboardActions;

const metricsRegistry = new Registry();

/** The gateway and its feed, with the estate store, the actions and infrastructure replaced by fakes. */
class GatewayTestModule {}
// Applied as a call: test files are not compiled with the coordinator's decorator settings.
Module({
  providers: [
    { provide: COORDINATOR_CONFIG, useValue: config },
    { provide: LOGGER, useValue: createLogger("test", "silent") },
    { provide: EstateStore, useValue: emptyStore },
    { provide: DashboardAccess, useValue: new DashboardAccess(TOKEN, VIEWER_TOKEN) },
    { provide: DashboardMetrics, useValue: new DashboardMetrics(metricsRegistry) },
    { provide: DashboardActions, useValue: fakeActions },
    EstateEvents,
    DashboardFeed,
    DashboardGateway,
  ],
})(GatewayTestModule);

const heartbeat = (sequence: number) =>
  create(HealthSummarySchema, {
    satelliteId: "aws-eu-west-1",
    region: { cloud: "aws", name: "eu-west-1", latitude: 53.35, longitude: -6.26 },
    sequence,
    status: SatelliteStatus.OK,
    heartbeatIntervalMs: 2_000,
    clusters: [{ cluster: "sim", reachable: true, workloads: 2, desiredReplicas: 4, readyReplicas: 4 }],
  });

const prices = (usdPerHour: number) =>
  create(PriceSnapshotSchema, {
    satelliteId: "aws-eu-west-1",
    region: { cloud: "aws", name: "eu-west-1" },
    prices: [
      { cloud: "aws", region: "eu-west-1", zone: "eu-west-1a", instanceType: "m5.large", usdPerHour, vcpus: 2 },
      { cloud: "aws", region: "eu-west-1", zone: "eu-west-1b", instanceType: "m5.large", usdPerHour: usdPerHour * 2 },
    ],
  });

/** A page's view of the socket: every snapshot and delta, in arrival order. */
class Recorder {
  readonly snapshots: DashboardSnapshot[] = [];
  readonly deltas: DashboardDelta[] = [];
  constructor(readonly socket: Socket) {
    socket.on("snapshot", (snapshot: DashboardSnapshot) => this.snapshots.push(snapshot));
    socket.on("delta", (delta: DashboardDelta) => this.deltas.push(delta));
  }
}

async function waitFor<T>(read: () => T | undefined, timeoutMs = 3_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("dashboard gateway over a real Socket.IO server", () => {
  let app: INestApplication;
  let url: string;
  let events: EstateEvents;
  const sockets: Socket[] = [];

  beforeEach(async () => {
    app = await NestFactory.create(GatewayTestModule, { logger: false });
    await app.listen(0, "127.0.0.1");
    url = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}${DASHBOARD_SOCKET_NAMESPACE}`;
    events = app.get(EstateEvents);
  });

  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.disconnect();
    actionCalls.splice(0);
    metricsRegistry.resetMetrics();
    await app.close();
  });

  const connect = (token: string | undefined): Socket => {
    const socket = io(url, { auth: token === undefined ? {} : { token }, forceNew: true, transports: ["websocket"] });
    sockets.push(socket);
    return socket;
  };

  const refusal = (socket: Socket): Promise<string> =>
    new Promise((resolve) => socket.once("connect_error", (error) => resolve(error.message)));

  it("refuses a handshake without the token or with a wrong one", async () => {
    expect(await refusal(connect(undefined))).toBe(DASHBOARD_AUTH_ERROR.missing);
    expect(await refusal(connect("gateway-test-token-0123456780"))).toBe(DASHBOARD_AUTH_ERROR.invalid);
  });

  it("sends a snapshot on connect, then numbered deltas coalesced per key", async () => {
    const page = new Recorder(connect(TOKEN));
    const snapshot = await waitFor(() => page.snapshots[0]);
    expect(snapshot.session).toMatchObject({
      role: "operator",
      deltaIntervalMs: DELTA_INTERVAL_MS,
      priceTtlMs: 30_000,
    });
    expect(snapshot.topics).toEqual({
      satellites: [],
      prices: [],
      workloads: [],
      opportunities: [],
      migrations: [],
      rollouts: [],
    });

    // Within one batch: two heartbeats of one satellite, two price snapshots of one series.
    events.publish("satelliteChanged", { health: heartbeat(1), receivedAtMs: 1_000 });
    events.publish("satelliteChanged", { health: heartbeat(2), receivedAtMs: 3_000 });
    events.publish("priceChanged", { snapshot: prices(0.05), receivedAtMs: 3_001 });
    events.publish("priceChanged", { snapshot: prices(0.04), receivedAtMs: 3_002 });
    const delta = await waitFor(() => page.deltas[0]);
    expect(delta.seq).toBe(snapshot.seq + 1);
    expect(delta.epoch).toBe(snapshot.epoch);
    expect(delta.changes.satellites?.upsert).toHaveLength(1);
    expect(delta.changes.satellites?.upsert?.[0]).toMatchObject({
      id: "aws-eu-west-1",
      heartbeatSequence: 2,
      lastSeenAtMs: 3_000,
      liveness: "live",
      status: "ok",
      region: { key: "aws:eu-west-1", latitude: 53.35, longitude: -6.26 },
    });
    // The cheapest zone, with both observations as new points of one series.
    expect(delta.changes.prices?.upsert).toEqual([
      expect.objectContaining({
        key: "aws:eu-west-1:m5.large",
        zone: "eu-west-1a",
        usdPerHour: 0.04,
        points: [
          [3_001, 0.05],
          [3_002, 0.04],
        ],
      }),
    ]);

    events.publish("livenessChanged", { satelliteId: "aws-eu-west-1", liveness: Liveness.STALE });
    const next = await waitFor(() => page.deltas[1]);
    expect(next.seq).toBe(delta.seq + 1);
    expect(next.changes).toEqual({ satellites: { upsert: [expect.objectContaining({ liveness: "stale" })] } });
  });

  it("gives a page that joins later, or asks to resync, a snapshot consistent with the deltas after it", async () => {
    const first = new Recorder(connect(TOKEN));
    await waitFor(() => first.snapshots[0]);
    events.publish("priceChanged", { snapshot: prices(0.05), receivedAtMs: 10 });
    await waitFor(() => first.deltas[0]);

    const late = new Recorder(connect(TOKEN));
    const snapshot = await waitFor(() => late.snapshots[0]);
    expect(snapshot.seq).toBe(first.deltas[0]?.seq);
    expect(snapshot.topics.prices[0]?.points).toEqual([[10, 0.05]]);

    events.publish("priceChanged", { snapshot: prices(0.03), receivedAtMs: 20 });
    const delta = await waitFor(() => late.deltas[0]);
    expect(delta.seq).toBe(snapshot.seq + 1);
    // A delta's series carries only the new points; the page appends them.
    expect(delta.changes.prices?.upsert?.[0]?.points).toEqual([[20, 0.03]]);

    late.socket.emit("resync");
    const fresh = await waitFor(() => late.snapshots[1]);
    expect(fresh.seq).toBe(delta.seq);
    expect(fresh.topics.prices[0]?.points).toEqual([
      [10, 0.05],
      [20, 0.03],
    ]);
  });

  /** Emits an acting event and waits for its acknowledgement. */
  const act = <T>(socket: Socket, event: string, body: unknown): Promise<DashboardActionResult<T>> =>
    socket.timeout(3_000).emitWithAck(event, body) as Promise<DashboardActionResult<T>>;

  const actionsCounted = async (result: string): Promise<number> => {
    const metric = await metricsRegistry.getSingleMetric("sentra_coordinator_dashboard_actions_total")?.get();
    return (metric?.values ?? [])
      .filter((value) => value.labels.result === result)
      .reduce((sum, value) => sum + value.value, 0);
  };

  it("signs a viewer in, and refuses and counts every action a viewer's socket asks for", async () => {
    const viewer = new Recorder(connect(VIEWER_TOKEN));
    expect((await waitFor(() => viewer.snapshots[0])).session.role).toBe("viewer");
    const workload = { satelliteId: "aws-us-east-1", namespace: "default", name: "checkout-api" };
    const answers = [
      await act(viewer.socket, "planMigration", { workload }),
      await act(viewer.socket, "migrate", { workload, idempotencyKey: "forged-1" }),
      await act(viewer.socket, "promoteRollout", { rolloutId: "ro-1" }),
      await act(viewer.socket, "abortRollout", { rolloutId: "ro-1" }),
    ];
    for (const answer of answers) {
      expect(answer).toMatchObject({ ok: false, error: { code: "PERMISSION_DENIED", httpStatus: 403 } });
    }
    expect(answers[1]).toMatchObject({ error: { message: expect.stringMatching(/viewer session may not migrate/) } });
    expect(actionCalls).toEqual([]);
    expect(await actionsCounted("PERMISSION_DENIED")).toBe(4);
  });

  it("lets an operator act, answering refusals in the error vocabulary (412 with the plan's arithmetic)", async () => {
    const operator = new Recorder(connect(TOKEN));
    await waitFor(() => operator.snapshots[0]);
    const workload = { satelliteId: "aws-us-east-2", namespace: "default", name: "search-indexer" };

    const refused = await act(operator.socket, "planMigration", { workload, targetRegion: "us-east-1" });
    expect(refused).toMatchObject({
      ok: false,
      error: {
        code: "FAILED_PRECONDITION",
        httpStatus: 412,
        message: expect.stringMatching(/would not pay/),
        plan: {
          workloadId: "default/search-indexer",
          source: { regionKey: "aws:us-east-2", usdPerHour: 0.03 },
          target: { regionKey: "aws:us-east-1", usdPerHour: 0.1 },
          marginUsd: -2.0908,
          breakEvenHours: null,
          accepted: false,
          refusalCode: "MARGIN_NOT_POSITIVE",
        },
      },
    });

    const started = await act<{ migration: { id: string } }>(operator.socket, "migrate", {
      workload,
      idempotencyKey: "k-1",
    });
    expect(started).toEqual({ ok: true, result: { migration: { id: "m-1" }, replayed: false } });
    expect(actionCalls.find((call) => call.action === "migrate")?.actor).toMatch(/^dashboard operator /);

    // Field names as the page sent them; an unexpected error keeps its message in the log.
    expect(await act(operator.socket, "abortRollout", { rolloutId: "ro-1" })).toMatchObject({
      ok: false,
      error: { code: "NOT_FOUND", httpStatus: 404, field: "rolloutId" },
    });
    expect(await act(operator.socket, "promoteRollout", { rolloutId: "ro-1" })).toEqual({
      ok: false,
      error: { code: "INTERNAL", httpStatus: 500, message: "internal error; see the coordinator log" },
    });
    expect(await actionsCounted("ok")).toBe(1);
    expect(await actionsCounted("FAILED_PRECONDITION")).toBe(1);
  });

  it("carries migrations recorded into the feed in the next delta", async () => {
    const page = new Recorder(connect(TOKEN));
    const snapshot = await waitFor(() => page.snapshots[0]);
    const feed = app.get(DashboardFeed);
    const migration = {
      key: "m-2",
      id: "m-2",
      state: "LOCKED",
      steps: [
        { sequence: 1, state: "PLANNED", atMs: 1, detail: "" },
        { sequence: 2, state: "LOCKED", atMs: 2, detail: "" },
      ],
      updatedAtMs: 2,
    } as MigrationView;
    feed.recordMigration(migration);
    const delta = await waitFor(() => page.deltas[0]);
    expect(delta.seq).toBe(snapshot.seq + 1);
    expect(delta.changes).toEqual({ migrations: { upsert: [migration] } });
  });
});
