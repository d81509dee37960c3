import { SentraError } from "@sentra/common";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { AccessControl } from "./access-control.js";
import type { ApiTokenStore } from "./api-token-store.js";
import type { AuditEntry, AuditLog } from "./audit-log.js";
import { AuditRecorder } from "./audit-recorder.js";
import { sourceAddressOf } from "./grpc-security.js";
import type { MutationRateLimiter } from "./mutation-rate-limiter.js";
import { SecurityMetrics } from "./security-metrics.js";

const silent = { info() {}, warn() {}, error() {}, debug() {} } as never;

function accessControl(clock: { now: number }, burst = 3) {
  const lookups: string[] = [];
  const tokens = {
    verify: async (token: string) => {
      lookups.push(token);
      return token === "sentra_good" ? { tokenId: "1", name: "ci", role: "viewer" as const } : undefined;
    },
  } as unknown as ApiTokenStore;
  const metrics = new SecurityMetrics(new Registry());
  const access = new AccessControl(
    tokens,
    {} as MutationRateLimiter,
    metrics,
    { burst, perSecond: 1 },
    () => clock.now,
  );
  return { access, lookups, metrics };
}

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => "OK",
    (error: unknown) => SentraError.from(error).code,
  );

describe("refused sign-ins per source", () => {
  it("refuses an address that keeps failing before looking its tokens up, and lets it back in as it earns tokens", async () => {
    const clock = { now: 1_000 };
    const { access, lookups, metrics } = accessControl(clock);
    for (let i = 0; i < 3; i++)
      expect(await codeOf(access.authenticate("sentra_bad", "grpc", "10.0.0.9"))).toBe("UNAUTHENTICATED");
    expect(await codeOf(access.authenticate("sentra_bad", "grpc", "10.0.0.9"))).toBe("RESOURCE_EXHAUSTED");
    // Throttled: even a valid token from that address waits, and no token is looked up meanwhile.
    expect(await codeOf(access.authenticate("sentra_good", "rest", "10.0.0.9"))).toBe("RESOURCE_EXHAUSTED");
    expect(lookups).toHaveLength(3);
    // Another address is not touched; a missing token counts as a refusal too.
    expect(await codeOf(access.authenticate("sentra_good", "grpc", "10.0.0.10"))).toBe("OK");
    expect(await codeOf(access.authenticate(undefined, "socket", "10.0.0.10"))).toBe("UNAUTHENTICATED");
    clock.now += 1_000;
    expect(await codeOf(access.authenticate("sentra_good", "grpc", "10.0.0.9"))).toBe("OK");
    const text = await metrics.refusals.get();
    const throttled = text.values.filter((value) => value.labels.reason === "source_throttled");
    expect(throttled.map((value) => [value.labels.channel, value.value])).toEqual([
      ["grpc", 1],
      ["rest", 1],
    ]);
  });

  it("throttles nothing when the burst is 0 or the caller's address is unknown", async () => {
    const clock = { now: 0 };
    const off = accessControl(clock, 0).access;
    const on = accessControl(clock).access;
    for (let i = 0; i < 10; i++) {
      expect(await codeOf(off.authenticate("sentra_bad", "grpc", "10.0.0.9"))).toBe("UNAUTHENTICATED");
      expect(await codeOf(on.authenticate("sentra_bad", "grpc"))).toBe("UNAUTHENTICATED");
    }
  });

  it("reads the caller's address out of a gRPC peer", () => {
    expect(sourceAddressOf("127.0.0.1:51234")).toBe("127.0.0.1");
    expect(sourceAddressOf("ipv4:10.1.2.3:443")).toBe("10.1.2.3");
    expect(sourceAddressOf("[::1]:51234")).toBe("::1");
    expect(sourceAddressOf("ipv6:[2001:db8::1]:80")).toBe("2001:db8::1");
    expect(sourceAddressOf("2001:db8::1")).toBe("2001:db8::1");
  });
});

describe("refusals in the audit log", () => {
  const entry = (result: string, source = "10.0.0.9", action = "ListSatellites"): AuditEntry => ({
    at: new Date(0),
    principal: "anonymous",
    role: "none",
    source,
    channel: "grpc",
    action,
    target: "{}",
    result,
    durationMs: 1,
  });

  it("writes the first refusal of a kind at once and its repeats as one row per window; other calls as they come", async () => {
    const rows: AuditEntry[] = [];
    const log = { record: async (row: AuditEntry) => void rows.push(row) } as unknown as AuditLog;
    const recorder = new AuditRecorder(log, new SecurityMetrics(new Registry()), silent, 10_000);
    for (let i = 0; i < 50; i++) recorder.record(entry("UNAUTHENTICATED"));
    recorder.record(entry("UNAUTHENTICATED", "10.0.0.10"));
    recorder.record(entry("PERMISSION_DENIED"));
    recorder.record(entry("OK", "10.0.0.9", "Migrate"));
    recorder.record(entry("OK", "10.0.0.9", "Migrate"));
    await Promise.resolve();
    expect(rows.map((row) => [row.source, row.action, row.result])).toEqual([
      ["10.0.0.9", "ListSatellites", "UNAUTHENTICATED"],
      ["10.0.0.10", "ListSatellites", "UNAUTHENTICATED"],
      ["10.0.0.9", "ListSatellites", "PERMISSION_DENIED"],
      ["10.0.0.9", "Migrate", "OK"],
      ["10.0.0.9", "Migrate", "OK"],
    ]);
    recorder.close();
    await Promise.resolve();
    expect(rows).toHaveLength(6);
    expect(rows[5]).toMatchObject({
      result: "UNAUTHENTICATED",
      source: "10.0.0.9",
      target: '{"repeated":49,"windowSeconds":10}',
    });
    // A new window writes the next refusal of the kind at once again.
    recorder.record(entry("UNAUTHENTICATED"));
    await Promise.resolve();
    expect(rows).toHaveLength(7);
    recorder.close();
  });
});
