import { Redis } from "ioredis";
import { createConnection } from "mysql2/promise";
import { describe, expect, it } from "vitest";
import { createTestNamespace } from "./test-namespace.js";

describe("test namespaces", () => {
  it("give each test its own database, key prefix and subject prefix, and clean them up", async () => {
    const first = await createTestNamespace("kit");
    const second = await createTestNamespace("kit");
    expect(first.mysqlDatabase).not.toBe(second.mysqlDatabase);
    expect(first.redisKeyPrefix).not.toBe(second.redisKeyPrefix);
    expect(first.subjectPrefix).not.toBe(second.subjectPrefix);

    await first.redis().set(`${first.redisKeyPrefix}probe`, "1");
    const nats = await first.nats();
    const subscription = nats.subscribe(`${first.subjectPrefix}.probe`, { max: 1 });
    nats.publish(`${first.subjectPrefix}.probe`, "hello");
    for await (const message of subscription) expect(message.string()).toBe("hello");
    let deferredRan = false;
    first.defer(() => {
      deferredRan = true;
    });

    await first.dispose();
    await second.dispose();
    expect(deferredRan).toBe(true);
    expect(nats.isClosed()).toBe(true);
    const admin = await createConnection({ uri: first.urls.mysqlUrl });
    try {
      const [rows] = await admin.query("SHOW DATABASES LIKE ?", [`sentra_test_${first.id}`]);
      expect(rows).toEqual([]);
    } finally {
      await admin.end();
    }
    const checker = new Redis(first.urls.redisUrl);
    try {
      expect(await checker.get(`${first.redisKeyPrefix}probe`)).toBeNull();
    } finally {
      checker.disconnect();
    }
  });
});
