import { createTestNamespace, eventually, startNatsServer, startTcpProxy, type TestNamespace } from "@sentra/testkit";
import { createConnection } from "mysql2/promise";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startCoordinatorProcess, startSatelliteProcess } from "./support/estate-processes.js";
import { createProtoLoaderCoordinatorClient } from "./support/proto-loader-client.js";

/** The namespace's MySQL URL with host:port replaced by the proxy's, so only this coordinator sees the outage. */
function throughProxy(mysqlUrl: string, port: number): string {
  const url = new URL(mysqlUrl);
  url.hostname = "127.0.0.1";
  url.port = String(port);
  return url.toString();
}

describe("drills with real services (issue 14, item 6 A)", () => {
  let namespace: TestNamespace;
  beforeEach(async () => {
    namespace = await createTestNamespace("drills-services");
  });
  afterEach(async () => {
    await namespace.dispose();
  });

  it("MySQL outage during ingest: the coordinator stays up, the API says MySQL is down, and the satellite first seen meanwhile is written after MySQL returns", async () => {
    const upstream = new URL(namespace.mysqlUrl);
    const proxy = await startTcpProxy(upstream.hostname, Number(upstream.port || 3306));
    namespace.defer(() => proxy.close());
    const coordinator = await startCoordinatorProcess(namespace, {
      MYSQL_URL: throughProxy(namespace.mysqlUrl, proxy.port),
    });
    const client = createProtoLoaderCoordinatorClient(coordinator.grpcAddress, coordinator.adminToken);
    namespace.defer(() => client.close());

    type Listing = { satellites: Array<{ id: string; liveness: string }> };
    // MySQL goes away before the satellite is first seen: its first sight cannot be recorded.
    proxy.cut();
    await startSatelliteProcess(namespace, "aws", "us-east-1");
    // Found by this drill: every API call checks its token in MySQL (no cache), so during the
    // outage the API answers a clear UNAVAILABLE instead of the Redis-backed estate. Asserted as
    // is (a token cache is a security decision, left to the issue); ingest is judged after restore.
    await eventually(async () => {
      await expect(client.call<Listing>("ListSatellites", {})).rejects.toThrow(/token store \(MySQL\) did not answer/);
    }, 15_000);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(coordinator.process.child.exitCode).toBeNull();

    proxy.restore();
    const db = await createConnection({ uri: namespace.mysqlUrl });
    namespace.defer(() => db.end());
    await eventually(async () => {
      const { satellites } = await client.call<Listing>("ListSatellites", {});
      expect(satellites.map((s) => [s.id, s.liveness])).toEqual([["aws-us-east-1", "LIVENESS_LIVE"]]);
    }, 15_000);
    await eventually(async () => {
      const [rows] = await db.query("SELECT id, liveness FROM satellites");
      expect((rows as Array<{ id: string; liveness: string }>).map((r) => r.id)).toEqual(["aws-us-east-1"]);
    }, 30_000);
  }, 90_000);

  it("NATS restart: the satellite is live again after reconnect and not live while NATS is down", async () => {
    const nats = await startNatsServer();
    namespace.defer(() => nats.dispose());
    const coordinator = await startCoordinatorProcess(namespace, { NATS_URL: nats.url });
    await startSatelliteProcess(namespace, "aws", "us-east-1", { NATS_URL: nats.url });
    const client = createProtoLoaderCoordinatorClient(coordinator.grpcAddress, coordinator.adminToken);
    namespace.defer(() => client.close());
    type Listing = { satellites: Array<{ id: string; liveness: string }> };
    const liveness = async () => (await client.call<Listing>("ListSatellites", {})).satellites.map((s) => s.liveness);
    await eventually(async () => expect(await liveness()).toEqual(["LIVENESS_LIVE"]), 15_000);
    await nats.stop();
    // 4 s without heartbeats (8 intervals): the satellite must not stay LIVE on stale data.
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    expect(await liveness()).not.toEqual(["LIVENESS_LIVE"]);
    await nats.restart();
    // Back within a few heartbeats of the reconnect (client back-off included).
    await eventually(async () => expect(await liveness()).toEqual(["LIVENESS_LIVE"]), 20_000);
    // Not yet asserted: sentra_coordinator_nats_disconnects_total stayed 0 across this restart in
    // the first run of this drill (the counter is fed in satellite-ingest.service.ts, which is
    // being edited by others); reported on issue 14, item 6 A instead of asserted here.
    expect(coordinator.process.child.exitCode).toBeNull();
  }, 90_000);
});
