import "reflect-metadata";
import { create } from "@bufbuild/protobuf";
import { type INestApplication, Module } from "@nestjs/common";
import { NestFactory } from "@nestjs/core";
import {
  createLogger,
  DASHBOARD_AUTH_ERROR,
  DASHBOARD_SOCKET_NAMESPACE,
  DASHBOARD_TOKEN_REVOKED,
  type DashboardActionResult,
  type DashboardDelta,
  type DashboardEventRefusal,
  type DashboardSignedOut,
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
import { AccessControl } from "../security/access-control.js";
import type { ApiTokenStore, TokenPrincipal } from "../security/api-token-store.js";
import type { AuditEntry } from "../security/audit-log.js";
import type { MutationRateLimiter } from "../security/mutation-rate-limiter.js";
import { SecurityMetrics } from "../security/security-metrics.js";
import { TokenRevocations } from "../security/token-revocations.js";
import { DashboardGateway } from "./dashboard.gateway.js";
import { DashboardActions } from "./dashboard-actions.js";
import { DashboardFeed } from "./dashboard-feed.service.js";
import { DashboardMetrics } from "./dashboard-metrics.js";
import { DASHBOARD_EVENT_RULES, DashboardSocketAccess } from "./dashboard-socket-access.js";

const TOKEN = "sentra_gateway-operator-token-0123456789abcdef";
const VIEWER_TOKEN = "sentra_gateway-viewer-token-0123456789abcdef";
const DELTA_INTERVAL_MS = 50;
const RECHECK_INTERVAL_MS = 100;

/** The token store as the gateway sees it: two tokens, revocable; `act` may run once per principal. */
const principals = new Map<string, TokenPrincipal>();
const revoked = new Set<string>();
const fakeTokens = {
  verify: async (token: string) => {
    const principal = principals.get(token);
    return principal && !revoked.has(principal.tokenId) ? principal : undefined;
  },
  activeIds: async (ids: readonly string[]) => new Set(ids.filter((id) => !revoked.has(id))),
};
const actsByPrincipal = new Map<string, number>();
/** Mutating calls each principal may make in a test (reset to 1 before each). */
let mutatingCallLimit = 1;
const fakeLimiter = {
  check: async (principal: string) => {
    const count = (actsByPrincipal.get(principal) ?? 0) + 1;
    actsByPrincipal.set(principal, count);
    if (count > mutatingCallLimit)
      throw new SentraError(
        "RESOURCE_EXHAUSTED",
        `rate limit: ${mutatingCallLimit} mutating call(s) per minute for ${principal}`,
      );
  },
};
const audited: AuditEntry[] = [];
/** The access check's own metrics (refused events are counted there, before any handler). */
const accessMetricsRegistry = new Registry();
const revocations = new TokenRevocations();
const socketAccess = new DashboardSocketAccess({
  access: new AccessControl(
    fakeTokens as unknown as ApiTokenStore,
    fakeLimiter as unknown as MutationRateLimiter,
    new SecurityMetrics(new Registry()),
  ),
  tokens: fakeTokens,
  revocations,
  audit: { record: (entry) => audited.push(entry) },
  metrics: new DashboardMetrics(accessMetricsRegistry),
  logger: createLogger("test", "silent"),
  recheckIntervalMs: RECHECK_INTERVAL_MS,
  // `act` stands for an event that acts: operator, rate-limited.
  eventRules: { ...DASHBOARD_EVENT_RULES, act: { role: "operator", mutating: true } },
});

/** Only what the feed reads at start-up: an empty estate. */
const emptyStore = {
  satellites: async () => [],
  currentPrices: async () => [],
  workloads: async () => [],
} as unknown as EstateStore;

const config = {
  priceTtlMs: 30_000,
  dashboard: { staticDir: "", deltaIntervalMs: DELTA_INTERVAL_MS, maxLoopUtilization: 0.5 },
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
    { provide: DashboardSocketAccess, useValue: socketAccess },
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
    principals.clear();
    principals.set(TOKEN, { tokenId: "op-1", name: "ops", role: "operator" });
    principals.set(VIEWER_TOKEN, { tokenId: "view-1", name: "watcher", role: "viewer" });
    revoked.clear();
    actsByPrincipal.clear();
    mutatingCallLimit = 1;
    audited.length = 0;
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

  it("refuses a handshake without a token or with an unknown one, and audits it", async () => {
    expect(await refusal(connect(undefined))).toBe(DASHBOARD_AUTH_ERROR.missing);
    expect(await refusal(connect("sentra_gateway-unknown-token-0123456789abcdef"))).toBe(DASHBOARD_AUTH_ERROR.invalid);
    expect(audited.map((entry) => [entry.channel, entry.action, entry.principal, entry.result])).toEqual([
      ["socket", "handshake", "anonymous", "UNAUTHENTICATED"],
      ["socket", "handshake", "anonymous", "UNAUTHENTICATED"],
    ]);
    expect(JSON.stringify(audited)).not.toContain("sentra_gateway");
  });

  it("puts the token's role in the session and checks every event against its rule", async () => {
    const viewer = new Recorder(connect(VIEWER_TOKEN));
    expect((await waitFor(() => viewer.snapshots[0])).session.role).toBe("viewer");
    const emitWithAck = (socket: Socket, event: string) =>
      new Promise<DashboardEventRefusal>((resolve) => socket.emit(event, { id: "ro-1" }, resolve));

    // A viewer may resync, not act; an event the gateway does not list is refused for everyone.
    viewer.socket.emit("resync");
    await waitFor(() => viewer.snapshots[1]);
    expect((await emitWithAck(viewer.socket, "act")).error).toEqual({
      code: "PERMISSION_DENIED",
      httpStatus: 403,
      message: "event act needs the operator role; token watcher has viewer",
    });
    expect((await emitWithAck(viewer.socket, "dropTables")).error.code).toBe("UNIMPLEMENTED");

    // An operator passes the role check and reaches the rate limit (one act here).
    const operator = new Recorder(connect(TOKEN));
    expect((await waitFor(() => operator.snapshots[0])).session.role).toBe("operator");
    operator.socket.emit("act", { id: "ro-1" });
    expect((await emitWithAck(operator.socket, "act")).error.code).toBe("RESOURCE_EXHAUSTED");
    expect(audited.map((entry) => [entry.principal, entry.role, entry.action, entry.result, entry.target])).toEqual([
      ["watcher", "viewer", "act", "PERMISSION_DENIED", '[{"id":"ro-1"}]'],
      ["watcher", "viewer", "dropTables", "UNIMPLEMENTED", '[{"id":"ro-1"}]'],
      ["ops", "operator", "act", "RESOURCE_EXHAUSTED", '[{"id":"ro-1"}]'],
    ]);
  });

  it("signs out a revoked token's sockets at once when revoked here, and at the next re-check otherwise", async () => {
    const signedOut = (socket: Socket) =>
      new Promise<{ notice: DashboardSignedOut; reason: string }>((resolve) =>
        socket.once("signedOut", (notice: DashboardSignedOut) =>
          socket.once("disconnect", (reason) => resolve({ notice, reason })),
        ),
      );
    const operator = new Recorder(connect(TOKEN));
    const viewer = new Recorder(connect(VIEWER_TOKEN));
    await waitFor(() => operator.snapshots[0]);
    await waitFor(() => viewer.snapshots[0]);

    // Revoked through this coordinator: announced in process.
    const operatorOut = signedOut(operator.socket);
    revoked.add("op-1");
    revocations.announce(["op-1"]);
    expect(await operatorOut).toEqual({
      notice: { code: "UNAUTHENTICATED", message: DASHBOARD_TOKEN_REVOKED },
      reason: "io server disconnect",
    });
    // Revoked through another replica: only the store knows; the periodic re-check finds it.
    const viewerOut = signedOut(viewer.socket);
    revoked.add("view-1");
    expect((await viewerOut).reason).toBe("io server disconnect");
    // And the token no longer signs in.
    expect(await refusal(connect(VIEWER_TOKEN))).toBe(DASHBOARD_AUTH_ERROR.invalid);
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

  const refusedEventsCounted = async (code: string): Promise<number> => {
    const metric = await accessMetricsRegistry
      .getSingleMetric("sentra_coordinator_dashboard_refused_events_total")
      ?.get();
    return (metric?.values ?? [])
      .filter((value) => value.labels.code === code)
      .reduce((sum, value) => sum + value.value, 0);
  };
  const actionsCounted = async (result: string): Promise<number> => {
    const metric = await metricsRegistry.getSingleMetric("sentra_coordinator_dashboard_actions_total")?.get();
    return (metric?.values ?? [])
      .filter((value) => value.labels.result === result)
      .reduce((sum, value) => sum + value.value, 0);
  };

  it("signs a viewer in, lets it see a dry run, and refuses and counts every action that acts", async () => {
    const refusedBefore = await refusedEventsCounted("PERMISSION_DENIED");
    const viewer = new Recorder(connect(VIEWER_TOKEN));
    expect((await waitFor(() => viewer.snapshots[0])).session.role).toBe("viewer");
    const workload = { satelliteId: "aws-us-east-1", namespace: "default", name: "checkout-api" };
    // The dry run is a read (PlanMigration needs viewer over gRPC too): the viewer gets its answer.
    expect(await act(viewer.socket, "planMigration", { workload })).toMatchObject({
      ok: false,
      error: { code: "FAILED_PRECONDITION", httpStatus: 412 },
    });
    const answers = [
      await act(viewer.socket, "migrate", { workload, idempotencyKey: "forged-1" }),
      await act(viewer.socket, "promoteRollout", { rolloutId: "ro-1" }),
      await act(viewer.socket, "abortRollout", { rolloutId: "ro-1" }),
    ];
    for (const answer of answers) {
      expect(answer).toMatchObject({ ok: false, error: { code: "PERMISSION_DENIED", httpStatus: 403 } });
    }
    expect(answers[0]).toMatchObject({
      error: { message: "event migrate needs the operator role; token watcher has viewer" },
    });
    expect(actionCalls.map((call) => call.action)).toEqual(["planMigration"]);
    expect((await refusedEventsCounted("PERMISSION_DENIED")) - refusedBefore).toBe(3);
    expect(audited.filter((entry) => entry.result === "PERMISSION_DENIED").map((entry) => entry.action)).toEqual(
      expect.arrayContaining(["migrate", "promoteRollout", "abortRollout"]),
    );
  });

  it("lets an operator act, answering refusals in the error vocabulary (412 with the plan's arithmetic)", async () => {
    mutatingCallLimit = 3; // migrate, abort, promote
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
    // Recorded as the token's name, as a gRPC or REST call of the same token would be.
    expect(actionCalls.find((call) => call.action === "migrate")?.actor).toBe("ops");

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
