import "reflect-metadata";
import { create } from "@bufbuild/protobuf";
import { type INestApplication, Module } from "@nestjs/common";
import { NestFactory } from "@nestjs/core";
import {
  createLogger,
  DASHBOARD_AUTH_ERROR,
  DASHBOARD_SOCKET_NAMESPACE,
  type DashboardDelta,
  type DashboardSnapshot,
} from "@sentra/common";
import { HealthSummarySchema, Liveness, PriceSnapshotSchema, SatelliteStatus } from "@sentra/proto";
import { Registry } from "prom-client";
import { io, type Socket } from "socket.io-client";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { COORDINATOR_CONFIG, type CoordinatorConfig, LOGGER } from "../config/coordinator-config.js";
import { EstateEvents } from "../estate/estate-events.js";
import { EstateStore } from "../estate/estate-store.js";
import { DashboardGateway } from "./dashboard.gateway.js";
import { DashboardAccess } from "./dashboard-access.js";
import { DashboardFeed } from "./dashboard-feed.service.js";
import { DashboardMetrics } from "./dashboard-metrics.js";

const TOKEN = "gateway-test-token-0123456789";
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

/** The gateway and its feed, with the estate store and infrastructure replaced by fakes. */
class GatewayTestModule {}
// Applied as a call: test files are not compiled with the coordinator's decorator settings.
Module({
  providers: [
    { provide: COORDINATOR_CONFIG, useValue: config },
    { provide: LOGGER, useValue: createLogger("test", "silent") },
    { provide: EstateStore, useValue: emptyStore },
    { provide: DashboardAccess, useValue: new DashboardAccess(TOKEN) },
    { provide: DashboardMetrics, useValue: new DashboardMetrics(new Registry()) },
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
    expect(snapshot.topics).toEqual({ satellites: [], prices: [], workloads: [] });

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
});
