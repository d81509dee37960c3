import { createTestNamespace, type TestNamespace } from "@sentra/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LeaderLease } from "./leader-lease.js";

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
    expect(await namespace.redis().get(key)).toBe("a");
  });
});
