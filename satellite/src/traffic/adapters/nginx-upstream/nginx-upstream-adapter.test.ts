import { appendFileSync, readFileSync, rmSync } from "node:fs";
import { type RunningNginx, startNginx } from "@sentra/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PolicyError, parseRolloutPolicy, type RolloutTarget } from "../../../rollout/index.js";
import { childPids } from "./nginx-master.js";
import { NGINX_UPSTREAM_ADAPTER, type NginxUpstreamTarget } from "./nginx-upstream-adapter.js";
import { canaryShareOf, parseUpstreamServers } from "./nginx-upstream-file.js";

const ROLLOUT: RolloutTarget = { id: "r-1", service: "web", namespace: "vm", version: "v2", stableVersion: "v1" };
// Nothing listens on these: NGINX needs its upstream servers only for requests, which these tests send none of.
const STABLE = "127.0.0.1:9001";
const CANARY = "127.0.0.1:9002";

describe("nginx-upstream adapter against a real NGINX", () => {
  let nginx: RunningNginx;
  const logged: { message: string; fields: Record<string, unknown> }[] = [];
  beforeEach(async () => {
    nginx = await startNginx({ servers: [{ address: STABLE, parameters: "weight=100" }] });
    logged.length = 0;
  });
  afterEach(async () => {
    await nginx?.dispose();
  });

  function adapter(overrides: Partial<NginxUpstreamTarget> = {}) {
    const target = NGINX_UPSTREAM_ADAPTER.targetSchema.parse({
      adapter: "nginx-upstream",
      upstreamFile: nginx.upstreamFile,
      upstream: "web",
      stableServer: "127.0.0.1:9001",
      canaryServer: "127.0.0.1:9002",
      pidFile: nginx.pidFile,
      nginx: nginx.binary,
      prefix: nginx.prefix,
      config: nginx.configFile,
      directives: ["keepalive 8"],
      ...overrides,
    });
    return NGINX_UPSTREAM_ADAPTER.create(target, { log: (message, fields) => logged.push({ message, fields }) });
  }
  const fileShare = () =>
    canaryShareOf(parseUpstreamServers(readFileSync(nginx.upstreamFile, "utf8"), "web") ?? [], STABLE, CANARY);

  it("renders the weights (down at 0 and 100 %), reloads the same master with new workers, and reads them back", async () => {
    const router = adapter();
    await router.check(ROLLOUT);
    const master = nginx.masterPid();
    for (const weight of [5, 50, 100, 0]) {
      const workersBefore = await childPids(master);
      await router.setCanaryWeight(ROLLOUT, weight);
      expect(await router.readCanaryWeight(ROLLOUT)).toBe(weight);
      expect(fileShare()).toBe(weight);
      expect(nginx.masterPid()).toBe(master);
      expect([...(await childPids(master))].some((pid) => !workersBefore.has(pid))).toBe(true);
    }
    expect(readFileSync(nginx.upstreamFile, "utf8")).toBe(
      [
        "# managed by sentra (nginx-upstream adapter): rollout r-1, canary 0%",
        "upstream web {",
        "    keepalive 8;",
        `    server ${STABLE} weight=100;`,
        `    server ${CANARY} weight=1 down;`,
        "}",
        "",
      ].join("\n"),
    );
    await router.setCanaryWeight(ROLLOUT, 100);
    expect(readFileSync(nginx.upstreamFile, "utf8")).toContain(
      `server ${STABLE} weight=1 down;\n    server ${CANARY} weight=100;`,
    );
    expect(readFileSync(nginx.errorLog, "utf8")).not.toMatch(/\[emerg\]/);
  });

  it("puts the previous file back when nginx -t refuses the change", async () => {
    const router = adapter({ directives: ["keepalive many"] });
    const before = readFileSync(nginx.upstreamFile, "utf8");
    await expect(router.setCanaryWeight(ROLLOUT, 20)).rejects.toMatchObject({
      code: "FAILED_PRECONDITION",
      message: expect.stringMatching(/^nginx -t refused the configuration: .*invalid value "many"/),
    });
    expect(readFileSync(nginx.upstreamFile, "utf8")).toBe(before);
  });

  it("without the nginx binary: the weight change fails untouched, the last resort removes the canary and reloads", async () => {
    const router = adapter();
    await router.setCanaryWeight(ROLLOUT, 50);
    const at50 = readFileSync(nginx.upstreamFile, "utf8");
    rmSync(nginx.binary);
    await expect(router.setCanaryWeight(ROLLOUT, 0)).rejects.toMatchObject({ code: "UNAVAILABLE" });
    expect(readFileSync(nginx.upstreamFile, "utf8")).toBe(at50);
    const master = nginx.masterPid();
    const workersBefore = await childPids(master);
    await router.sendAllToStable(ROLLOUT);
    const servers = parseUpstreamServers(readFileSync(nginx.upstreamFile, "utf8"), "web");
    expect(servers).toEqual([{ address: STABLE, weight: 100, down: false }]);
    expect(await router.readCanaryWeight(ROLLOUT)).toBe(0);
    expect([...(await childPids(master))].some((pid) => !workersBefore.has(pid))).toBe(true);
    expect(logged.at(-1)?.message).toBe("nginx upstream: canary removed, all traffic to stable");
  });

  it("notices a reload the master refused (no new workers) and puts the previous file back", async () => {
    const router = adapter({ timeoutMs: 1_000 });
    await router.setCanaryWeight(ROLLOUT, 30);
    const at30 = readFileSync(nginx.upstreamFile, "utf8");
    appendFileSync(nginx.configFile, "\nnot_a_directive;\n");
    await expect(router.sendAllToStable(ROLLOUT)).rejects.toMatchObject({
      code: "DEADLINE_EXCEEDED",
      message: expect.stringContaining("started no new workers"),
    });
    expect(readFileSync(nginx.upstreamFile, "utf8")).toBe(at30);
    expect(readFileSync(nginx.errorLog, "utf8")).toMatch(/unknown directive "not_a_directive"/);
  });

  it("refuses to start without a master, or when the upstream does not serve the stable server", async () => {
    await expect(adapter({ stableServer: "127.0.0.1:9009" }).check(ROLLOUT)).rejects.toMatchObject({
      code: "FAILED_PRECONDITION",
      message: expect.stringContaining(`does not serve the stable server 127.0.0.1:9009 (it has ${STABLE})`),
    });
    await expect(adapter({ upstream: "api" }).check(ROLLOUT)).rejects.toMatchObject({
      code: "NOT_FOUND",
      message: `${nginx.upstreamFile} defines no upstream api`,
    });
    await expect(adapter({ pidFile: `${nginx.prefix}/logs/none.pid` }).check(ROLLOUT)).rejects.toMatchObject({
      code: "UNAVAILABLE",
    });
  });
});

describe("nginx-upstream target in a policy", () => {
  it("names the line and field of a relative path, a bad server address or directive", () => {
    const yaml = `router:
  adapter: nginx-upstream
  upstreamFile: conf/upstream.conf
  upstream: web
  stableServer: "10.0.0.1"
  canaryServer: "web-{{canary}}:8080"
  pidFile: /run/nginx.pid
  directives: ["keepalive 8;"]
`;
    try {
      parseRolloutPolicy(yaml);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(PolicyError);
      expect((error as PolicyError).message.split("\n").slice(1)).toEqual([
        "policy.yaml:3:17: router.upstreamFile: must be an absolute path",
        "policy.yaml:5:17: router.stableServer: must be a server address: host:port, [v6]:port or unix:/path (with {{…}} variables)",
        "policy.yaml:6:17: router.canaryServer: may name only {{service}}, {{version}}, {{stableVersion}}",
        "policy.yaml:8:16: router.directives[0]: must be one directive without ';', braces or comments",
      ]);
    }
  });
});
