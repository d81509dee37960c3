import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import {
  DASHBOARD_AUTH_ERROR,
  DASHBOARD_SOCKET_NAMESPACE,
  DASHBOARD_TOKEN_REVOKED,
  type DashboardEventRefusal,
  type DashboardSignedOut,
  type DashboardSnapshot,
  SentraError,
} from "@sentra/common";
import { ApiTokenRole, type AuditEvent } from "@sentra/proto";
import { createTestNamespace, eventually, REPO_ROOT, type TestNamespace } from "@sentra/testkit";
import { io, type Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  bearerHeaders,
  type CoordinatorClient,
  coordinatorClientWithToken,
  createApiToken,
} from "./support/coordinator-auth.js";
import { type CoordinatorProcess, startCoordinatorProcess } from "./support/estate-processes.js";
import { createProtoLoaderCoordinatorClient } from "./support/proto-loader-client.js";

/** What a token looks like anywhere in a log: the assertion that none leaked. */
const ANY_TOKEN = /sentra_[A-Za-z0-9_-]{32,}/;
const MIGRATE_REQUEST = {
  workload: { satelliteId: "aws-us-east-1", namespace: "default", name: "checkout-api" },
  targetRegion: "eu-west-1",
  idempotencyKey: "sec-1",
};

async function grpcError(call: Promise<unknown>): Promise<SentraError> {
  try {
    await call;
  } catch (error) {
    return SentraError.from(error);
  }
  throw new Error("the call succeeded");
}

/** grpc.health.v1.Health/Check with raw bytes and no token: the empty request, SERVING is `08 01`. */
function healthCheck(address: string): Promise<number[]> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  return new Promise<number[]>((resolve, reject) =>
    client.makeUnaryRequest(
      "/grpc.health.v1.Health/Check",
      () => Buffer.alloc(0),
      (bytes: Buffer) => bytes,
      {},
      (error, response) => {
        client.close();
        if (error) reject(error);
        else resolve([...(response ?? [])]);
      },
    ),
  );
}

/** Opens WatchRollouts: `started` once the snapshot is through, `ended` with the error that ends it. */
function watchUntilEnd(client: CoordinatorClient): { started: Promise<void>; ended: Promise<SentraError> } {
  let markStarted: () => void = () => {};
  const started = new Promise<void>((resolve) => {
    markStarted = resolve;
  });
  const ended = (async () => {
    try {
      for await (const message of client.watchRollouts({})) if (message.snapshotComplete) markStarted();
    } catch (error) {
      return SentraError.from(error);
    }
    throw new Error("the stream ended without an error");
  })();
  return { started, ended };
}

function runCli(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) {
  const run = spawnSync(process.execPath, [join(REPO_ROOT, "cli/dist/main.js"), ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env: { ...process.env, SENTRA_TOKEN: "", SENTRA_TOKEN_FILE: "", ...options.env },
    encoding: "utf8",
    timeout: 30_000,
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe("API tokens, roles and the audit log against a real coordinator", () => {
  let namespace: TestNamespace;
  let coordinator: CoordinatorProcess;
  let admin: CoordinatorClient;
  let viewer: CoordinatorClient;
  let operator: CoordinatorClient;
  let viewerToken: string;
  let operatorToken: string;
  const createdTokens: string[] = [];
  const sockets: Socket[] = [];

  beforeAll(async () => {
    namespace = await createTestNamespace("security");
    coordinator = await startCoordinatorProcess(namespace, {
      // Debug logging: the no-token-in-logs assertion covers the chattiest level.
      SENTRA_LOG_LEVEL: "debug",
      SENTRA_TOKEN_RECHECK_INTERVAL_MS: "500",
    });
    admin = coordinatorClientWithToken(namespace, coordinator.grpcAddress, coordinator.adminToken);
    viewerToken = (await createApiToken(admin, "e2e-viewer", "viewer")).token;
    operatorToken = (await createApiToken(admin, "e2e-operator", "operator")).token;
    createdTokens.push(viewerToken, operatorToken);
    viewer = coordinatorClientWithToken(namespace, coordinator.grpcAddress, viewerToken);
    operator = coordinatorClientWithToken(namespace, coordinator.grpcAddress, operatorToken);
    namespace.defer(() => {
      for (const socket of sockets.splice(0)) socket.disconnect();
    });
  });

  afterAll(async () => {
    await namespace?.dispose();
  });

  it("answers UNAUTHENTICATED without a valid token, leaving grpc.health.v1 open", async () => {
    const anonymous = coordinatorClientWithToken(namespace, coordinator.grpcAddress, undefined);
    expect(await grpcError(anonymous.listSatellites({}))).toMatchObject({
      code: "UNAUTHENTICATED",
      message: expect.stringContaining("authorization: Bearer"),
    });
    const stranger = coordinatorClientWithToken(
      namespace,
      coordinator.grpcAddress,
      "sentra_nobody-created-this-token-0123456789abcdef",
    );
    expect(await grpcError(stranger.listSatellites({}))).toMatchObject({ code: "UNAUTHENTICATED" });
    // Over the wire, with a client built from the .proto files: status 16.
    const wire = createProtoLoaderCoordinatorClient(coordinator.grpcAddress);
    namespace.defer(() => wire.close());
    await expect(wire.call("ListRegions", {})).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED });
    expect(await healthCheck(coordinator.grpcAddress)).toEqual([8, 1]);
  });

  it("lets a viewer list but not migrate or abort, naming the role needed", async () => {
    expect((await viewer.listSatellites({})).satellites).toEqual([]);
    expect((await viewer.listRollouts({})).rollouts).toEqual([]);
    expect(await grpcError(viewer.migrate(MIGRATE_REQUEST))).toMatchObject({
      code: "PERMISSION_DENIED",
      message: "Migrate needs the operator role; token e2e-viewer has viewer",
    });
    expect(await grpcError(viewer.abortRollout({ rolloutId: "ro-missing" }))).toMatchObject({
      code: "PERMISSION_DENIED",
      message: "AbortRollout needs the operator role; token e2e-viewer has viewer",
    });
    expect(await grpcError(viewer.listAuditEvents({}))).toMatchObject({ code: "PERMISSION_DENIED" });
    expect(await grpcError(operator.createApiToken({ name: "x", role: ApiTokenRole.ADMIN }))).toMatchObject({
      code: "PERMISSION_DENIED",
      message: expect.stringContaining("needs the admin role"),
    });
    // An operator gets past the door: the rollout is simply not there.
    expect(await grpcError(operator.abortRollout({ rolloutId: "ro-missing" }))).toMatchObject({ code: "NOT_FOUND" });
  });

  it("audits allowed and refused mutating calls, visible over ListAuditEvents", async () => {
    const byPrincipal = async (principal: string): Promise<AuditEvent[]> =>
      (await admin.listAuditEvents({ principal, pageSize: 100 })).events;
    await eventually(async () => {
      const viewerEvents = await byPrincipal("e2e-viewer");
      expect(viewerEvents.map((event) => [event.action, event.result])).toEqual(
        expect.arrayContaining([
          ["Migrate", "PERMISSION_DENIED"],
          ["AbortRollout", "PERMISSION_DENIED"],
          ["ListAuditEvents", "PERMISSION_DENIED"],
        ]),
      );
      const migrate = viewerEvents.find((event) => event.action === "Migrate");
      expect(migrate).toMatchObject({ role: ApiTokenRole.VIEWER, channel: "grpc" });
      expect(migrate?.source).toContain("127.0.0.1");
      // The request summary names what was asked, with ids.
      expect(JSON.parse(migrate?.target ?? "{}")).toMatchObject({
        workload: { name: "checkout-api" },
        idempotencyKey: "sec-1",
      });
      // Reads that were let in are not audited.
      expect(viewerEvents.some((event) => event.action === "ListSatellites")).toBe(false);
      const operatorEvents = await byPrincipal("e2e-operator");
      expect(operatorEvents.map((event) => [event.action, event.result])).toEqual(
        expect.arrayContaining([
          ["AbortRollout", "NOT_FOUND"],
          ["CreateApiToken", "PERMISSION_DENIED"],
        ]),
      );
      const created = (await byPrincipal("bootstrap-admin")).filter((event) => event.action === "CreateApiToken");
      expect(created.map((event) => event.result)).toEqual(["OK", "OK"]);
      expect(created.map((event) => JSON.parse(event.target).name).sort()).toEqual(["e2e-operator", "e2e-viewer"]);
      const anonymous = await byPrincipal("anonymous");
      expect(anonymous.map((event) => [event.action, event.result, event.role])).toEqual(
        expect.arrayContaining([["ListSatellites", "UNAUTHENTICATED", ApiTokenRole.UNSPECIFIED]]),
      );
    });

    // Filters and pages.
    const refused = await admin.listAuditEvents({ result: "PERMISSION_DENIED", pageSize: 500 });
    expect(refused.events.length).toBeGreaterThanOrEqual(4);
    expect(refused.events.every((event) => event.result === "PERMISSION_DENIED")).toBe(true);
    const first = await admin.listAuditEvents({ pageSize: 2 });
    expect(first.events).toHaveLength(2);
    expect(first.nextPageToken).not.toBe("");
    const second = await admin.listAuditEvents({ pageSize: 2, pageToken: first.nextPageToken });
    expect(second.events[0]?.id).toBeLessThan(first.events[1]?.id ?? 0n);

    // Bad arguments name the field.
    expect(await grpcError(admin.listAuditEvents({ pageSize: 501 }))).toMatchObject({
      code: "INVALID_ARGUMENT",
      field: "page_size",
    });
    expect(await grpcError(admin.listAuditEvents({ pageToken: "x" }))).toMatchObject({ field: "page_token" });
    expect(await grpcError(admin.createApiToken({ name: "no-role" }))).toMatchObject({
      code: "INVALID_ARGUMENT",
      field: "role",
    });
    expect(await grpcError(admin.createApiToken({ name: "bad name!", role: ApiTokenRole.VIEWER }))).toMatchObject({
      code: "INVALID_ARGUMENT",
      field: "name",
    });
    expect(await grpcError(admin.createApiToken({ name: "e2e-viewer", role: ApiTokenRole.VIEWER }))).toMatchObject({
      code: "ALREADY_EXISTS",
      field: "name",
    });
    expect(await grpcError(admin.revokeApiToken({}))).toMatchObject({ code: "INVALID_ARGUMENT", field: "selector" });
    expect(
      await grpcError(admin.revokeApiToken({ selector: { case: "id", value: "0000000000000000" } })),
    ).toMatchObject({ code: "NOT_FOUND", field: "id" });
  });

  it("lists tokens without ever returning a token or its hash", async () => {
    const { apiTokens } = await admin.listApiTokens({});
    expect(apiTokens.map((token) => [token.name, token.role, token.createdBy])).toEqual([
      ["bootstrap-admin", ApiTokenRole.ADMIN, "bootstrap"],
      ["e2e-viewer", ApiTokenRole.VIEWER, "bootstrap-admin"],
      ["e2e-operator", ApiTokenRole.OPERATOR, "bootstrap-admin"],
    ]);
    const text = JSON.stringify(apiTokens, (_key, value: unknown) =>
      typeof value === "bigint" ? String(value) : value,
    );
    expect(text).not.toMatch(ANY_TOKEN);
    expect(text).not.toMatch(/[0-9a-f]{64}/);
    expect(apiTokens[0]?.lastUsedAt).toBeDefined();
  });

  it("stops a revoked token on the very next call, over gRPC and REST", async () => {
    const { id, token } = await createApiToken(admin, "e2e-short-lived", "operator");
    createdTokens.push(token);
    const shortLived = coordinatorClientWithToken(namespace, coordinator.grpcAddress, token);
    await shortLived.listSatellites({});
    const rest = () => fetch(`${coordinator.httpUrl}/api/v1/migrations`, { headers: bearerHeaders(token) });
    expect((await rest()).status).toBe(200);

    const { revoked } = await admin.revokeApiToken({ selector: { case: "id", value: id } });
    expect(revoked.map((record) => [record.id, record.revokedAt !== undefined])).toEqual([[id, true]]);
    expect(await grpcError(shortLived.listSatellites({}))).toMatchObject({
      code: "UNAUTHENTICATED",
      message: "invalid or revoked token",
    });
    expect((await rest()).status).toBe(401);
  });

  it("guards every REST route but /healthz, /metrics and the page: 401 and 403 with JSON bodies", async () => {
    const url = coordinator.httpUrl;
    const missing = await fetch(`${url}/api/v1/rollouts`);
    expect(missing.status).toBe(401);
    expect(missing.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect(await missing.json()).toEqual({
      error: {
        code: "UNAUTHENTICATED",
        message: "missing bearer token: send the header 'Authorization: Bearer <token>'",
      },
    });
    const wrong = await fetch(`${url}/api/v1/opportunities`, {
      headers: bearerHeaders("sentra_wrong-0123456789abcdefghijklmnopqrstuvwxyz"),
    });
    expect(wrong.status).toBe(401);

    expect((await fetch(`${url}/api/v1/migrations`, { headers: bearerHeaders(viewerToken) })).status).toBe(200);
    const denied = await fetch(`${url}/api/v1/rollouts/ro-missing/abort`, {
      method: "POST",
      headers: bearerHeaders(viewerToken, { "content-type": "application/json" }),
      body: JSON.stringify({ reason: "test" }),
    });
    expect(denied.status).toBe(403);
    expect(await denied.json()).toMatchObject({
      error: {
        code: "PERMISSION_DENIED",
        message: "POST /api/v1/rollouts/:id/abort needs the operator role; token e2e-viewer has viewer",
      },
    });
    const deniedMigrate = await fetch(`${url}/api/v1/migrations`, {
      method: "POST",
      headers: bearerHeaders(viewerToken, { "content-type": "application/json" }),
      body: JSON.stringify(MIGRATE_REQUEST),
    });
    expect(deniedMigrate.status).toBe(403);
    // A dry run is a read: a viewer may ask (and gets the planner's answer, here: no such workload).
    const plan = await fetch(`${url}/api/v1/migrations/plan`, {
      method: "POST",
      headers: bearerHeaders(viewerToken, { "content-type": "application/json" }),
      body: JSON.stringify(MIGRATE_REQUEST),
    });
    expect([400, 404, 412]).toContain(plan.status);
    const operatorAbort = await fetch(`${url}/api/v1/rollouts/ro-missing/abort`, {
      method: "POST",
      headers: bearerHeaders(operatorToken, { "content-type": "application/json" }),
      body: "{}",
    });
    expect(operatorAbort.status).toBe(404);

    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect((await fetch(`${url}/metrics`)).status).toBe(200);
    // The page itself (built or not) is not behind the token: it asks for one.
    expect([200, 503]).toContain((await fetch(url, { headers: { accept: "text/html" } })).status);

    await eventually(async () => {
      const { events } = await admin.listAuditEvents({ channel: "rest", pageSize: 100 });
      expect(events.map((event) => [event.principal, event.action, event.result])).toEqual(
        expect.arrayContaining([
          ["anonymous", "GET /api/v1/rollouts", "UNAUTHENTICATED"],
          ["e2e-viewer", "POST /api/v1/rollouts/:id/abort", "PERMISSION_DENIED"],
          ["e2e-viewer", "POST /api/v1/migrations", "PERMISSION_DENIED"],
          ["e2e-operator", "POST /api/v1/rollouts/:id/abort", "NOT_FOUND"],
        ]),
      );
      // Allowed reads are not audited.
      expect(events.some((event) => event.action === "GET /api/v1/migrations" && event.result === "OK")).toBe(false);
    });
  });

  describe("the dashboard socket", () => {
    const connect = (url: string, token: string | undefined): Socket => {
      const socket = io(`${url}${DASHBOARD_SOCKET_NAMESPACE}`, {
        auth: token === undefined ? {} : { token },
        forceNew: true,
        transports: ["websocket"],
        reconnection: false,
      });
      sockets.push(socket);
      return socket;
    };
    const refusal = (socket: Socket): Promise<string> =>
      new Promise((resolve) => socket.once("connect_error", (error) => resolve(error.message)));
    const snapshot = (socket: Socket): Promise<DashboardSnapshot> =>
      new Promise((resolve) => socket.once("snapshot", resolve));
    const signedOut = (socket: Socket) =>
      new Promise<{ notice: DashboardSignedOut; reason: string }>((resolve) =>
        socket.once("signedOut", (notice: DashboardSignedOut) =>
          socket.once("disconnect", (reason) => resolve({ notice, reason })),
        ),
      );

    it("refuses a missing or bad token in the handshake", async () => {
      expect(await refusal(connect(coordinator.httpUrl, undefined))).toBe(DASHBOARD_AUTH_ERROR.missing);
      expect(await refusal(connect(coordinator.httpUrl, "sentra_bad-0123456789abcdefghijklmnopqrstuvwxyz"))).toBe(
        DASHBOARD_AUTH_ERROR.invalid,
      );
    });

    it("carries the token's role and refuses events the role does not allow", async () => {
      const socket = connect(coordinator.httpUrl, viewerToken);
      expect((await snapshot(socket)).session.role).toBe("viewer");
      // A viewer may resync.
      const again = snapshot(socket);
      socket.emit("resync");
      expect((await again).session.role).toBe("viewer");
      // An event that acts needs an operator: refused with the role it needs, and audited.
      const ask = (event: string) =>
        new Promise<DashboardEventRefusal>((resolve) => socket.emit(event, { rolloutId: "ro-none" }, resolve));
      const refused = await ask("abortRollout");
      expect(refused).toMatchObject({ ok: false, error: { code: "PERMISSION_DENIED", httpStatus: 403 } });
      expect(refused.error.message).toMatch(/needs the operator role/);
      // An event the gateway does not list is refused for everyone, with a reason, and audited.
      expect((await ask("dropTables")).error.code).toBe("UNIMPLEMENTED");
      const operatorSocket = connect(coordinator.httpUrl, operatorToken);
      expect((await snapshot(operatorSocket)).session.role).toBe("operator");
      await eventually(async () => {
        const { events } = await admin.listAuditEvents({ channel: "socket", pageSize: 100 });
        expect(events.map((event) => [event.principal, event.action, event.result])).toEqual(
          expect.arrayContaining([
            ["e2e-viewer", "abortRollout", "PERMISSION_DENIED"],
            ["e2e-viewer", "dropTables", "UNIMPLEMENTED"],
          ]),
        );
      });
    });

    it("signs out a revoked token's sockets and ends its gRPC streams: at once here, at the next re-check elsewhere", async () => {
      const here = await createApiToken(admin, "e2e-socket-here", "viewer");
      const elsewhere = await createApiToken(admin, "e2e-socket-elsewhere", "viewer");
      createdTokens.push(here.token, elsewhere.token);
      const other = await startCoordinatorProcess(namespace, { SENTRA_TOKEN_RECHECK_INTERVAL_MS: "500" });

      const hereSocket = connect(coordinator.httpUrl, here.token);
      const elsewhereSocket = connect(other.httpUrl, elsewhere.token);
      await Promise.all([snapshot(hereSocket), snapshot(elsewhereSocket)]);
      const hereStream = watchUntilEnd(coordinatorClientWithToken(namespace, coordinator.grpcAddress, here.token));
      const elsewhereStream = watchUntilEnd(coordinatorClientWithToken(namespace, other.grpcAddress, elsewhere.token));
      await Promise.all([hereStream.started, elsewhereStream.started]);

      const hereOut = signedOut(hereSocket);
      await admin.revokeApiToken({ selector: { case: "id", value: here.id } });
      expect(await hereOut).toEqual({
        notice: { code: "UNAUTHENTICATED", message: DASHBOARD_TOKEN_REVOKED },
        reason: "io server disconnect",
      });
      expect(await hereStream.ended).toMatchObject({ code: "UNAUTHENTICATED", message: "the token was revoked" });
      // Revoked through the first coordinator; the other learns it from MySQL at its next re-check.
      const elsewhereOut = signedOut(elsewhereSocket);
      await admin.revokeApiToken({ selector: { case: "name", value: "e2e-socket-elsewhere" } });
      expect((await elsewhereOut).reason).toBe("io server disconnect");
      expect(await elsewhereStream.ended).toMatchObject({ code: "UNAUTHENTICATED" });
      expect(await refusal(connect(other.httpUrl, elsewhere.token))).toBe(DASHBOARD_AUTH_ERROR.invalid);
      expect(other.process.output()).not.toMatch(ANY_TOKEN);
    });
  });

  it("drives tokens and the audit log from the CLI, with clear refusals", async () => {
    const base = ["--coordinator", coordinator.grpcAddress];
    const asAdmin = [...base, "--token-file", coordinator.adminTokenFile];
    const created = runCli([...asAdmin, "token", "create", "--name", "cli-viewer", "--role", "viewer"]);
    expect(created.status).toBe(0);
    expect(created.stderr).toMatch(/created token [0-9a-f]{16} "cli-viewer" \(viewer\); it is shown only now/);
    const token = created.stdout.trim();
    expect(token).toMatch(/^sentra_[A-Za-z0-9_-]{43}$/);
    createdTokens.push(token);

    const listed = runCli([...asAdmin, "token", "list"]);
    expect(listed.status).toBe(0);
    expect(listed.stdout).toMatch(/cli-viewer\s+viewer/);
    expect(listed.stdout).not.toMatch(ANY_TOKEN);

    expect(runCli([...base, "satellites"], { env: { SENTRA_TOKEN: token } }).status).toBe(0);
    const denied = runCli([...base, "token", "list"], { env: { SENTRA_TOKEN: token } });
    // Exit 3: refused for want of a role or token (docs/cli.md, "Exit codes").
    expect(denied.status).toBe(3);
    expect(denied.stderr).toMatch(
      /^sentra: PERMISSION_DENIED: ListApiTokens needs the admin role; token cli-viewer has viewer\. Ask an admin/,
    );

    expect(runCli([...asAdmin, "token", "revoke", "cli-viewer"]).stdout).toMatch(/^revoked [0-9a-f]{16} "cli-viewer"/);
    const revoked = runCli([...base, "satellites"], { env: { SENTRA_TOKEN: token } });
    expect(revoked.status).toBe(3);
    expect(revoked.stderr).toMatch(
      /^sentra: UNAUTHENTICATED: invalid or revoked token\. Give an API token with --token/,
    );
    // No token at all (and no .sentra/admin-token in the working directory).
    const cwd = mkdtempSync(join(tmpdir(), "sentra-cli-"));
    namespace.defer(() => rmSync(cwd, { recursive: true, force: true }));
    expect(runCli([...base, "regions"], { cwd }).stderr).toMatch(/^sentra: UNAUTHENTICATED: missing bearer token/);

    await eventually(() => {
      const audit = runCli([...asAdmin, "audit", "--limit", "50", "--principal", "cli-viewer"]);
      expect(audit.status).toBe(0);
      expect(audit.stdout).toMatch(/cli-viewer\s+viewer\s+grpc\s+ListApiTokens\s+PERMISSION_DENIED/);
    });
  });

  it("never writes a token to the coordinator's log", () => {
    const output = coordinator.process.output();
    expect(output.length).toBeGreaterThan(0);
    for (const token of [coordinator.adminToken, ...createdTokens]) expect(output).not.toContain(token);
    expect(output).not.toMatch(ANY_TOKEN);
    // It does say where the admin token is kept.
    expect(output).toContain(coordinator.adminTokenFile);
  });
});

describe("the bootstrap admin token and the mutation rate limit", () => {
  let namespace: TestNamespace;
  let dir: string;
  beforeAll(async () => {
    namespace = await createTestNamespace("bootstrap");
    dir = mkdtempSync(join(tmpdir(), "sentra-bootstrap-"));
    namespace.defer(() => rmSync(dir, { recursive: true, force: true }));
  });
  afterAll(async () => {
    await namespace?.dispose();
  });

  it("generates the admin token into an absent file (0600, folder 0700), keeps it across restarts, and limits mutating calls", async () => {
    const tokenFile = join(dir, ".sentra", "admin-token");
    const env = { SENTRA_ADMIN_TOKEN_FILE: tokenFile, SENTRA_MUTATION_RATE_LIMIT_PER_MINUTE: "3" };
    const first = await startCoordinatorProcess(namespace, env);
    expect(first.adminToken).toMatch(/^sentra_[A-Za-z0-9_-]{43}$/);
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, ".sentra")).mode & 0o777).toBe(0o700);
    expect(first.process.output()).toMatch(/"tokenFile":"[^"]+admin-token".*"msg":"admin token generated/);
    expect(first.process.output()).not.toContain(first.adminToken);
    // The CLI finds it by default in the coordinator's working directory layout.
    const regions = runCli(["--coordinator", first.grpcAddress, "regions"], { cwd: dir });
    expect(regions.stderr).toBe("");
    expect(regions.status).toBe(0);

    await first.process.stop();
    const second = await startCoordinatorProcess(namespace, env);
    expect(second.adminToken).toBe(first.adminToken);
    const admin = coordinatorClientWithToken(namespace, second.grpcAddress, second.adminToken);
    expect((await admin.listApiTokens({})).apiTokens.map((token) => token.name)).toEqual(["bootstrap-admin"]);

    // At most 3 mutating calls a minute per principal. The window is a fixed minute, so within
    // 2 × 3 + 1 calls (well under a minute) one window must see a fourth call.
    const ci = coordinatorClientWithToken(
      namespace,
      second.grpcAddress,
      (await createApiToken(admin, "e2e-rate", "operator")).token,
    );
    const refusals: SentraError[] = [];
    for (let call = 0; call < 7 && refusals.at(-1)?.code !== "RESOURCE_EXHAUSTED"; call++) {
      refusals.push(await grpcError(ci.abortRollout({ rolloutId: "ro-missing" })));
    }
    expect(refusals.slice(0, 3).map((error) => error.code)).toEqual(["NOT_FOUND", "NOT_FOUND", "NOT_FOUND"]);
    expect(refusals.at(-1)).toMatchObject({
      code: "RESOURCE_EXHAUSTED",
      message: expect.stringMatching(/^rate limit: 3 mutating calls per minute for e2e-rate; retry in \d+ s$/),
    });
    // Reads are not limited.
    for (let call = 0; call < 5; call++) await ci.listRollouts({});
    await eventually(async () => {
      const { events } = await admin.listAuditEvents({ principal: "e2e-rate", result: "RESOURCE_EXHAUSTED" });
      expect(events.length).toBeGreaterThanOrEqual(1);
      expect(events[0]?.action).toBe("AbortRollout");
    });
  });
});
