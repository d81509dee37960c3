import { DASHBOARD_SOCKET_NAMESPACE, SentraError, sleep } from "@sentra/common";
import { createTestNamespace, eventually, type TestNamespace } from "@sentra/testkit";
import { io, type Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearerHeaders, type CoordinatorClient, coordinatorClientWithToken } from "./support/coordinator-auth.js";
import { type CoordinatorProcess, startCoordinatorProcess } from "./support/estate-processes.js";

const BAD_TOKEN = "sentra_guess-0123456789abcdefghijklmnopqrstuvwxyz";

/** Refused calls are cheap (issue 14, item 5): a token-guessing address is throttled, its refusals aggregated. */
describe("refused sign-ins", () => {
  let namespace: TestNamespace;
  let coordinator: CoordinatorProcess;
  let admin: CoordinatorClient;

  beforeAll(async () => {
    namespace = await createTestNamespace("refusals");
    // Its own coordinator: the throttle is per source address, and every test here calls from loopback.
    coordinator = await startCoordinatorProcess(namespace, {
      SENTRA_REFUSED_SIGNINS_PER_SOURCE_BURST: "5",
      SENTRA_MAX_STREAMS_PER_TOKEN: "2",
    });
    admin = coordinatorClientWithToken(namespace, coordinator.grpcAddress, coordinator.adminToken);
  });

  afterAll(async () => {
    await namespace?.dispose();
  });

  it("throttles an address that keeps guessing tokens, on every channel, and audits the refusals as one row per window", async () => {
    const guess = () => fetch(`${coordinator.httpUrl}/api/v1/migrations`, { headers: bearerHeaders(BAD_TOKEN) });
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await guess()).status);
    // A second of refills may land while the calls run: 5 refusals, perhaps one more, then throttled.
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(-5)).toEqual([429, 429, 429, 429, 429]);
    const throttled = await guess();
    expect(throttled.status).toBe(429);
    expect(await throttled.json()).toMatchObject({
      error: { code: "RESOURCE_EXHAUSTED", message: expect.stringMatching(/too many refused sign-ins/) },
    });
    // gRPC from the same address is throttled too, even with a valid token, until tokens are earned back.
    const error = await admin.listSatellites({}).then(
      () => undefined,
      (caught: unknown) => SentraError.from(caught),
    );
    expect(error?.code).toBe("RESOURCE_EXHAUSTED");
    await sleep(1_500);
    await admin.listSatellites({});
    const metrics = await (await fetch(`${coordinator.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/sentra_coordinator_auth_refusals_total\{[^}]*reason="source_throttled"[^}]*\} [1-9]/);

    // The first refusal of each kind is written at once, its repeats as one row when the window (10 s)
    // ends: every call is accounted for, in a few rows (a window boundary may split a run in two).
    const refused = { UNAUTHENTICATED: statuses.filter((s) => s === 401).length, RESOURCE_EXHAUSTED: 0 };
    refused.RESOURCE_EXHAUSTED = statuses.length + 1 - refused.UNAUTHENTICATED;
    await eventually(async () => {
      const events = (await admin.listAuditEvents({ principal: "anonymous", pageSize: 100 })).events.filter(
        (event) => event.action === "GET /api/v1/migrations",
      );
      for (const [result, calls] of Object.entries(refused)) {
        const rows = events.filter((event) => event.result === result);
        const represented = rows
          .map((event) => (JSON.parse(event.target) as { repeated?: number }).repeated ?? 1)
          .reduce((sum, count) => sum + count, 0);
        expect({ result, represented }).toEqual({ result, represented: calls });
        expect(rows.length).toBeLessThanOrEqual(3);
      }
    }, 25_000);
  }, 60_000);

  it("caps the streams and dashboard sockets one token holds open, and frees a place when one closes", async () => {
    const openWatch = async () => {
      const abort = new AbortController();
      const iterator = admin.watchRollouts({}, { signal: abort.signal })[Symbol.asyncIterator]();
      const first = await iterator.next().then(
        () => "open",
        (error: unknown) => SentraError.from(error).code,
      );
      return { abort, first };
    };
    const first = await openWatch();
    const second = await openWatch();
    expect([first.first, second.first]).toEqual(["open", "open"]);
    expect((await openWatch()).first).toBe("RESOURCE_EXHAUSTED");
    first.abort.abort();
    // The cancelled stream leaves the count once the server has seen the cancellation.
    const third = await eventually(async () => {
      const attempt = await openWatch();
      expect(attempt.first).toBe("open");
      return attempt;
    }, 10_000);
    second.abort.abort();
    third.abort.abort();

    const sockets: Socket[] = [];
    const connect = (): Socket => {
      const socket = io(`${coordinator.httpUrl}${DASHBOARD_SOCKET_NAMESPACE}`, {
        auth: { token: coordinator.adminToken },
        forceNew: true,
        transports: ["websocket"],
        reconnection: false,
      });
      sockets.push(socket);
      return socket;
    };
    const outcome = (socket: Socket): Promise<string> =>
      new Promise((resolve) => {
        socket.once("connect", () => resolve("connected"));
        socket.once("connect_error", (error) => resolve(error.message));
      });
    try {
      expect(await outcome(connect())).toBe("connected");
      expect(await outcome(connect())).toBe("connected");
      expect(await outcome(connect())).toMatch(/already holds 2 dashboard connections \(at most 2\)/);
      sockets[0]?.disconnect();
      await eventually(async () => expect(await outcome(connect())).toBe("connected"), 10_000);
    } finally {
      for (const socket of sockets) socket.disconnect();
    }
  }, 60_000);
});
