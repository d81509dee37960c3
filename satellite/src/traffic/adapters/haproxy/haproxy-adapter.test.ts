import { rmSync } from "node:fs";
import { type RunningHaproxy, startHaproxy } from "@sentra/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PolicyError, parseRolloutPolicy, type RolloutTarget } from "../../../rollout/index.js";
import { HAPROXY_ADAPTER, type HaproxyTarget } from "./haproxy-adapter.js";

const ROLLOUT: RolloutTarget = { id: "r-1", service: "web", namespace: "vm", version: "v2", stableVersion: "v1" };

describe("haproxy adapter against a real HAProxy", () => {
  let haproxy: RunningHaproxy;
  const logged: { message: string; fields: Record<string, unknown> }[] = [];
  beforeEach(async () => {
    // The servers' ports are closed: the runtime API works without them (no health checks).
    haproxy = await startHaproxy({
      servers: [
        { name: "web-v1", address: "127.0.0.1:9", weight: 100 },
        { name: "web-v2", address: "127.0.0.1:9", weight: 0 },
      ],
    });
    logged.length = 0;
  });
  afterEach(async () => {
    await haproxy?.dispose();
  });

  function adapter(overrides: Partial<HaproxyTarget> = {}) {
    const target = HAPROXY_ADAPTER.targetSchema.parse({
      adapter: "haproxy",
      runtimeApi: haproxy.socketPath,
      fallbackRuntimeApi: haproxy.tcpAddress,
      backend: "web",
      stableServer: "{{service}}-{{stableVersion}}",
      canaryServer: "{{service}}-{{version}}",
      ...overrides,
    });
    return HAPROXY_ADAPTER.create(target, { log: (message, fields) => logged.push({ message, fields }) });
  }

  it("sets proportional weights for both servers and reads them back, 0 and 100 included", async () => {
    const router = adapter();
    await router.check(ROLLOUT);
    for (const weight of [5, 50, 100, 0]) {
      await router.setCanaryWeight(ROLLOUT, weight);
      expect(await haproxy.weights()).toEqual({ "web-v1": 100 - weight, "web-v2": weight });
      expect(await router.readCanaryWeight(ROLLOUT)).toBe(weight);
    }
    expect(logged.at(-1)).toMatchObject({
      message: "haproxy weights set",
      fields: { backend: "web", stable: "web-v1=100", canary: "web-v2=0" },
    });
  });

  it("sends everything to stable with the canary in maintenance, through the fallback socket when the primary is gone", async () => {
    const router = adapter();
    await router.setCanaryWeight(ROLLOUT, 50);
    rmSync(haproxy.socketPath);
    await expect(router.setCanaryWeight(ROLLOUT, 0)).rejects.toMatchObject({ code: "UNAVAILABLE" });
    await router.sendAllToStable(ROLLOUT);
    const state = await haproxy.command("show servers state web", "tcp");
    const canary = state.split("\n").find((line) => line.includes(" web-v2 "));
    // srv_admin_state (7th column) 1: forced maintenance; the stable keeps serving at weight 100.
    expect(canary?.split(" ")[6]).toBe("1");
    expect(await haproxy.weights()).toMatchObject({ "web-v1": 100 });
    expect(logged.at(-1)?.message).toBe("haproxy canary in maintenance: all traffic to stable");
    expect(logged.at(-1)?.fields.runtimeApi).toBe(haproxy.tcpAddress);
  });

  it("takes the canary out of maintenance again on the next weight", async () => {
    const router = adapter({ fallbackRuntimeApi: undefined });
    await router.sendAllToStable(ROLLOUT);
    expect(await router.readCanaryWeight(ROLLOUT)).toBe(0);
    await router.setCanaryWeight(ROLLOUT, 20);
    expect(await router.readCanaryWeight(ROLLOUT)).toBe(20);
  });

  it("refuses to start on a missing backend or server, or a stable server that does not serve", async () => {
    await expect(adapter({ backend: "api" }).check(ROLLOUT)).rejects.toMatchObject({
      code: "NOT_FOUND",
      message: "haproxy has no backend api",
    });
    await expect(adapter({ canaryServer: "web-{{version}}-x" }).check(ROLLOUT)).rejects.toMatchObject({
      code: "NOT_FOUND",
      message: expect.stringContaining("has no server web-v2-x (it has web-v1, web-v2)"),
    });
    await haproxy.command("set weight web/web-v1 0");
    await expect(adapter().check(ROLLOUT)).rejects.toMatchObject({
      code: "FAILED_PRECONDITION",
      message: expect.stringContaining("web/web-v1 (stable) does not serve: weight 0"),
    });
  });

  it("is unavailable, naming the address, when nothing listens there", async () => {
    rmSync(haproxy.socketPath);
    await expect(adapter().check(ROLLOUT)).rejects.toMatchObject({
      code: "UNAVAILABLE",
      message: expect.stringContaining(`haproxy runtime API at ${haproxy.socketPath} failed`),
    });
  });
});

describe("haproxy target in a policy", () => {
  it("names the line and field of a bad runtime API, backend or server template", () => {
    const yaml = `steps: [100]
router:
  adapter: haproxy
  runtimeApi: admin.sock
  backend: "web api"
  canaryServer: "web-{{canary}}"
`;
    try {
      parseRolloutPolicy(yaml);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(PolicyError);
      expect((error as PolicyError).message.split("\n").slice(1)).toEqual([
        "policy.yaml:4:15: router.runtimeApi: must be an absolute unix socket path or host:port of HAProxy's admin stats socket",
        "policy.yaml:5:12: router.backend: must be an HAProxy backend name (letters, digits, '-', '_', '.', ':')",
        "policy.yaml:6:17: router.canaryServer: may name only {{service}}, {{version}}, {{stableVersion}}",
      ]);
    }
  });

  it("fills in the defaults: servers named after the versions, a 2 s command deadline", () => {
    const policy = parseRolloutPolicy("router: { adapter: haproxy, runtimeApi: '127.0.0.1:9999', backend: web }\n");
    expect(policy.router).toEqual({
      adapter: "haproxy",
      runtimeApi: "127.0.0.1:9999",
      backend: "web",
      stableServer: "{{stableVersion}}",
      canaryServer: "{{version}}",
      timeoutMs: 2000,
    });
  });
});
