import { once } from "node:events";
import { type AddressInfo, createServer, type Server, Socket } from "node:net";
import { createTestNamespace, serviceUrlsFromEnv, type TestNamespace } from "@sentra/testkit";
import { Redis } from "ioredis";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LeaderLease } from "./leader-lease.js";

/**
 * A TCP relay to the real Redis that can be cut without closing anything: afterwards bytes are
 * swallowed both ways, as in a network partition (the client sees no error, only silence).
 */
async function startPartitionableRelay(target: { host: string; port: number }): Promise<{
  port: number;
  partition(): void;
  close(): Promise<void>;
}> {
  let partitioned = false;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = new Socket();
    upstream.connect(target.port, target.host);
    sockets.add(client).add(upstream);
    client.on("data", (chunk) => {
      if (!partitioned) upstream.write(chunk);
    });
    upstream.on("data", (chunk) => {
      if (!partitioned) client.write(chunk);
    });
    const end = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    port: (server.address() as AddressInfo).port,
    partition: () => {
      partitioned = true;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe("leader lease in Redis", () => {
  let namespace: TestNamespace;
  beforeEach(async () => {
    namespace = await createTestNamespace("lease");
  });
  afterEach(async () => {
    await namespace.dispose();
  });

  it("lets one holder lead, hands over on release, and to another holder once a silent leader's TTL runs out", async () => {
    const key = `${namespace.redisKeyPrefix}rollout-orchestrator:leader`;
    const a = new LeaderLease(namespace.redis(), key, 300, "a");
    const b = new LeaderLease(namespace.redis(), key, 300, "b");

    expect(await a.hold()).toBe(true);
    expect(await b.hold()).toBe(false);
    // Renewal keeps it: well past one TTL, still a's.
    for (let i = 0; i < 4; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await a.hold()).toBe(true);
    }
    expect(await b.hold()).toBe(false);

    await a.release();
    expect(a.isLeader).toBe(false);
    expect(await b.hold()).toBe(true);
    expect(await a.hold()).toBe(false);

    // b stops renewing (crashed): after its TTL a takes over.
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect(await a.hold()).toBe(true);
    // b's release must not drop a lease it no longer holds.
    await b.release();
    expect(await namespace.redis().get(key)).toMatch(/^\d+:a$/);
  });

  it("draws a strictly increasing fencing token per tenure and keeps it across renewals", async () => {
    const key = `${namespace.redisKeyPrefix}auto-migration:leader`;
    const a = new LeaderLease(namespace.redis(), key, 10_000, "a");
    const b = new LeaderLease(namespace.redis(), key, 10_000, "b");
    expect(a.fencingToken).toBe(0);
    expect(await a.hold()).toBe(true);
    const first = a.fencingToken;
    expect(first).toBeGreaterThan(0);
    expect(await a.hold()).toBe(true);
    expect(a.fencingToken).toBe(first);
    await a.release();
    expect(await b.hold()).toBe(true);
    expect(b.fencingToken).toBeGreaterThan(first);
    await b.release();
  });

  it("stops leading by itself when renewals stall (Redis unreachable), before Redis hands the lease to another replica", async () => {
    const urls = new URL(serviceUrlsFromEnv().redisUrl);
    const relay = await startPartitionableRelay({ host: urls.hostname, port: Number(urls.port || 6379) });
    const viaRelay = new Redis({ host: "127.0.0.1", port: relay.port, maxRetriesPerRequest: 3, lazyConnect: true });
    await viaRelay.connect();
    namespace.defer(async () => {
      viaRelay.disconnect();
      await relay.close();
    });
    const key = `${namespace.redisKeyPrefix}auto-migration:leader`;
    const ttlMs = 1_000;
    const a = new LeaderLease(viaRelay, key, ttlMs, "a");
    const b = new LeaderLease(namespace.redis(), key, ttlMs, "b");

    expect(await a.hold()).toBe(true);
    const renewedAt = performance.now();
    relay.partition(); // a's Redis goes silent: no error, no answer, a never hears it lost the lease

    // a's renewal hangs in Redis; the lease runs out locally at ttl − 20 % and hold() gives up then.
    const renewal = a.hold();
    await new Promise((resolve) => setTimeout(resolve, ttlMs * 0.8 - (performance.now() - renewedAt) + 20));
    expect(a.isLeader).toBe(false);
    expect(await renewal).toBe(false);
    expect(performance.now() - renewedAt).toBeLessThan(ttlMs);

    // Only once Redis's TTL ran out can b lead, and by then a has long stopped.
    expect(await b.hold()).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, ttlMs - (performance.now() - renewedAt) + 50));
    expect(await b.hold()).toBe(true);
    expect(a.isLeader).toBe(false);
    await b.release();
  });

  it("measures the local expiry on the monotonic clock it is given", async () => {
    let now = 0;
    const key = `${namespace.redisKeyPrefix}rollout-orchestrator:leader`;
    const a = new LeaderLease(namespace.redis(), key, 10_000, "a", {
      monotonicNowMs: () => now,
      safetyMarginMs: 1_000,
    });
    expect(await a.hold()).toBe(true);
    now = 8_999;
    expect(a.isLeader).toBe(true);
    now = 9_000; // ttl − margin after the renewal was sent: no longer leader, Redis still says a
    expect(a.isLeader).toBe(false);
    expect(a.fencingToken).toBe(0);
    expect(await namespace.redis().get(key)).toMatch(/:a$/);
    expect(await a.hold()).toBe(true); // a renewal that succeeds restores it
    expect(a.isLeader).toBe(true);
    await a.release();
  });
});
