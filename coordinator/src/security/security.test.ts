import { createLogger } from "@sentra/common";
import { createTestNamespace, type TestNamespace } from "@sentra/testkit";
import { createPool, type Pool } from "mysql2/promise";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { migrateSchema } from "../infrastructure/schema-migrator.js";
import { ApiTokenStore } from "./api-token-store.js";
import { AuditLog, summariseForAudit } from "./audit-log.js";
import { requiredRole } from "./method-roles.js";
import { MutationRateLimiter } from "./mutation-rate-limiter.js";
import { SECURITY_SCHEMA_MIGRATIONS } from "./security-schema.js";

describe("tokens, audit and rate limits on real MariaDB and Redis", () => {
  let namespace: TestNamespace;
  let pool: Pool;
  beforeEach(async () => {
    namespace = await createTestNamespace("sec");
    pool = createPool({ uri: namespace.mysqlUrl, connectionLimit: 2 });
    namespace.defer(() => pool.end());
    await migrateSchema(pool, createLogger("test", "silent"), SECURITY_SCHEMA_MIGRATIONS);
  });
  afterEach(async () => {
    await namespace.dispose();
  });

  it("stores only a hash, verifies with the role, and stops a revoked token at once", async () => {
    const store = new ApiTokenStore(pool);
    const { token, record } = await store.create("ci-pipeline", "operator", "admin-cli");
    expect(token).toMatch(/^sentra_[A-Za-z0-9_-]{43}$/);
    const [rows] = await pool.query("SELECT * FROM api_tokens");
    expect(JSON.stringify(rows)).not.toContain(token.slice(7));
    expect(await store.verify(token)).toEqual({ tokenId: record.id, name: "ci-pipeline", role: "operator" });
    expect(await store.verify(`${token}x`)).toBeUndefined();
    expect(await store.verify("not-a-token")).toBeUndefined();
    expect(await store.revoke("ci-pipeline")).toBe(1);
    expect(await store.verify(token)).toBeUndefined();
    await expect(store.create("bad name!", "operator", "x")).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
      field: "name",
    });
    await expect(store.create("ok", "root", "x")).rejects.toMatchObject({ code: "INVALID_ARGUMENT", field: "role" });
  });

  it("records audit entries without secrets", async () => {
    const audit = new AuditLog(pool);
    const target = summariseForAudit({ workload: { name: "api" }, token: "sentra_abc", replicas: 3n });
    expect(target).toBe('{"workload":{"name":"api"},"token":"[redacted]","replicas":"3"}');
    await audit.record({
      at: new Date(),
      principal: "ci",
      role: "operator",
      source: "ipv4:127.0.0.1:5000",
      channel: "grpc",
      action: "Migrate",
      target,
      result: "OK",
      durationMs: 12.4,
    });
    const [entry] = await audit.list({ limit: 10 });
    expect(entry).toMatchObject({ principal: "ci", action: "Migrate", result: "OK", durationMs: 12, target });
  });

  it("limits mutating calls per principal per minute", async () => {
    const limiter = new MutationRateLimiter(namespace.redis(), namespace.redisKeyPrefix, 3);
    const now = 1_700_000_010_000;
    for (let call = 0; call < 3; call++) await limiter.check("ci", now);
    await expect(limiter.check("ci", now)).rejects.toMatchObject({ code: "RESOURCE_EXHAUSTED" });
    await limiter.check("someone-else", now);
    await limiter.check("ci", now + 60_000);
  });

  it("closes unknown methods by default", () => {
    expect(requiredRole("ListSatellites")).toBe("viewer");
    expect(requiredRole("Migrate")).toBe("operator");
    expect(requiredRole("SomeNewMethod")).toBe("admin");
  });
});
