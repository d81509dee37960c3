import type { DescService } from "@bufbuild/protobuf";
import { createLogger } from "@sentra/common";
import { CoordinatorService } from "@sentra/proto";
import { createTestNamespace, type TestNamespace } from "@sentra/testkit";
import { createPool, type Pool } from "mysql2/promise";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { migrateSchema } from "../infrastructure/schema-migrator.js";
import { ApiTokenStore, generateApiToken } from "./api-token-store.js";
import { AuditLog, summariseForAudit } from "./audit-log.js";
import { COORDINATOR_METHOD_ROLES, isMutating, requiredRole } from "./method-roles.js";
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
    await expect(store.create("ci-pipeline", "viewer", "admin-cli")).rejects.toMatchObject({
      code: "ALREADY_EXISTS",
      field: "name",
    });
    expect(await store.activeIds([record.id, "0000000000000000"])).toEqual(new Set([record.id]));
    const [revoked] = await store.revoke({ name: "ci-pipeline" });
    expect(revoked).toMatchObject({ id: record.id, name: "ci-pipeline", role: "operator" });
    expect(revoked?.revokedAt).toBeInstanceOf(Date);
    expect(await store.verify(token)).toBeUndefined();
    expect(await store.activeIds([record.id])).toEqual(new Set());
    expect(await store.revoke({ id: record.id })).toEqual([]);
    expect(await store.list()).toEqual([]);
    expect((await store.list({ includeRevoked: true })).map((listed) => listed.id)).toEqual([record.id]);
    // The name is free again once revoked.
    await store.create("ci-pipeline", "viewer", "admin-cli");
    await expect(store.create("bad name!", "operator", "x")).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
      field: "name",
    });
    await expect(store.create("ok", "root", "x")).rejects.toMatchObject({ code: "INVALID_ARGUMENT", field: "role" });
  });

  it("makes a provisioned token known once, and keeps a revoked one revoked", async () => {
    const store = new ApiTokenStore(pool);
    const token = generateApiToken();
    expect(await store.ensure(token, "bootstrap-admin", "admin", "bootstrap")).toBe("created");
    expect(await store.ensure(token, "bootstrap-admin", "admin", "bootstrap")).toBe("active");
    expect(await store.verify(token)).toMatchObject({ name: "bootstrap-admin", role: "admin" });
    await store.revoke({ name: "bootstrap-admin" });
    expect(await store.ensure(token, "bootstrap-admin", "admin", "bootstrap")).toBe("revoked");
    expect(await store.verify(token)).toBeUndefined();
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
    expect(summariseForAudit({ idempotencyKey: "mig-1", apiKey: "k" })).toBe(
      '{"idempotencyKey":"mig-1","apiKey":"[redacted]"}',
    );
  });

  it("lists audit entries newest first, filtered and in pages", async () => {
    const audit = new AuditLog(pool);
    const base = {
      role: "operator",
      source: "ipv4:127.0.0.1:1",
      channel: "grpc" as const,
      target: "{}",
      durationMs: 1,
    };
    for (let index = 0; index < 5; index++) {
      await audit.record({
        ...base,
        at: new Date(1_700_000_000_000 + index * 1_000),
        principal: index % 2 ? "ci" : "alice",
        action: index === 4 ? "AbortRollout" : "Migrate",
        result: index === 3 ? "PERMISSION_DENIED" : "OK",
      });
    }
    const all = await audit.list({ limit: 10 });
    expect(all.map((entry) => entry.id)).toEqual([...all.map((entry) => entry.id)].sort((a, b) => b - a));
    expect((await audit.list({ limit: 10, principal: "ci" })).map((entry) => entry.principal)).toEqual(["ci", "ci"]);
    expect(await audit.list({ limit: 10, result: "PERMISSION_DENIED" })).toHaveLength(1);
    expect(await audit.list({ limit: 10, action: "AbortRollout", channel: "grpc" })).toHaveLength(1);
    expect(await audit.list({ limit: 10, channel: "rest" })).toHaveLength(0);
    expect(await audit.list({ limit: 10, sinceMs: 1_700_000_003_000 })).toHaveLength(2);
    expect(await audit.list({ limit: 10, untilMs: 1_700_000_001_000 })).toHaveLength(1);
    const firstPage = await audit.list({ limit: 2 });
    const secondPage = await audit.list({ limit: 2, beforeId: firstPage.at(-1)?.id });
    expect(secondPage.map((entry) => entry.id)).toEqual(all.slice(2, 4).map((entry) => entry.id));
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

  it("names a role for every CoordinatorService method, so none is closed by accident", () => {
    const methods = (CoordinatorService as unknown as DescService).methods.map((method) => method.name);
    expect(methods.filter((method) => !(method in COORDINATOR_METHOD_ROLES))).toEqual([]);
    expect(Object.keys(COORDINATOR_METHOD_ROLES).filter((method) => !methods.includes(method))).toEqual([]);
    expect(methods.filter(isMutating).sort()).toEqual(
      [
        "AbortRollout",
        "ApproveSatellite",
        "CreateApiToken",
        "Migrate",
        "PromoteRollout",
        "RebindSatellite",
        "RevokeApiToken",
        "StartRollout",
      ].sort(),
    );
    for (const method of [
      "CreateApiToken",
      "RevokeApiToken",
      "ListApiTokens",
      "ListAuditEvents",
      "ApproveSatellite",
      "RebindSatellite",
    ]) {
      expect(requiredRole(method)).toBe("admin");
    }
    expect(requiredRole("GetRolloutHistory")).toBe("viewer");
  });
});
