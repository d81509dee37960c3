import { SentraError } from "@sentra/common";
import { getTestPki } from "@sentra/testkit";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { PolicyError, parseRolloutPolicy, type RolloutTarget } from "../../../rollout/index.js";
import type { AzureAdapterOptions } from "../azure/azure-client-options.js";
import { simulatedArmAccess } from "../azure/azure-test-fixture.js";
import { createFunctionAppAdapter, type FunctionAppAdapter } from "./function-app-adapter.js";
import { SimulatedFunctionApps } from "./sim/simulated-function-apps.js";

const SUBSCRIPTION = "6f1c2b9e-3d4a-4e5f-9a7b-1c2d3e4f5a6b";
const TARGET = {
  adapter: "azure-functions",
  subscriptionId: SUBSCRIPTION,
  resourceGroup: "shop-rg",
  site: "orders-fn",
  slot: "staging",
} as const;
const ROLLOUT: RolloutTarget = {
  id: "ro-1",
  service: "orders-fn",
  namespace: "default",
  version: "v2",
  stableVersion: "v1",
};
const SLOT_HOST = "orders-fn-staging.azurewebsites.net";

// The unmodified @azure/arm-appservice client against the simulated ARM endpoint (HTTPS, bearer
// token); the test credential and CA come in through the adapter's options only.
describe("Azure Functions adapter against the simulated ARM API", () => {
  let sim: SimulatedFunctionApps;
  let options: AzureAdapterOptions;
  let adapter: FunctionAppAdapter;
  const log = vi.fn();

  beforeEach(async () => {
    const pki = await getTestPki();
    sim = await SimulatedFunctionApps.start({
      tls: await pki.issue("management.azure.sim"),
      throttleRetryAfterSeconds: 0,
      sites: [
        {
          subscriptionId: SUBSCRIPTION,
          resourceGroup: "shop-rg",
          site: "orders-fn",
          slot: "staging",
          productionVersion: "v1",
          slotVersion: "v2",
        },
      ],
    });
    options = {
      ...(await simulatedArmAccess(sim.arm.token, pki.caFile)),
      sdkRetryDelayMs: 10,
      retry: { attempts: 4, baseDelayMs: 5 },
    };
    adapter = createFunctionAppAdapter(TARGET, { endpoint: sim.arm.url, log }, options);
  });

  afterEach(async () => {
    await sim.close();
    log.mockClear();
  });

  it("checks site and slot, sets the ramp-up rule and reads it back; no rule at 0 %, 100 % rerouted at 100", async () => {
    await adapter.check(ROLLOUT);
    await adapter.setCanaryWeight(ROLLOUT, 20);
    expect(sim.rampUpRules(SUBSCRIPTION, "shop-rg", "orders-fn")).toEqual([
      { name: "staging", actionHostName: SLOT_HOST, reroutePercentage: 20 },
    ]);
    expect(await adapter.readCanaryWeight(ROLLOUT)).toBe(20);
    await adapter.setCanaryWeight(ROLLOUT, 100);
    expect(sim.rampUpRules(SUBSCRIPTION, "shop-rg", "orders-fn")).toEqual([
      { name: "staging", actionHostName: SLOT_HOST, reroutePercentage: 100 },
    ]);
    await adapter.setCanaryWeight(ROLLOUT, 0);
    expect(sim.rampUpRules(SUBSCRIPTION, "shop-rg", "orders-fn")).toEqual([]);
    expect(JSON.stringify(log.mock.calls)).not.toContain(sim.arm.token);
  });

  it("waits out throttling through the SDK, and re-reads after a conflict", async () => {
    sim.arm.failures.failRequests({ method: "PATCH", status: 429, times: 2 });
    await adapter.setCanaryWeight(ROLLOUT, 5);
    expect(sim.arm.failures.snapshot().requestFailures).toEqual([]);
    sim.arm.failures.failRequests({ method: "PATCH", status: 409, times: 1 });
    await adapter.setCanaryWeight(ROLLOUT, 30);
    expect(await adapter.readCanaryWeight(ROLLOUT)).toBe(30);
    expect(log).toHaveBeenCalledWith("function app call retried", expect.objectContaining({ code: "ABORTED" }));
  });

  it("names a missing site, a missing slot and a denied permission clearly", async () => {
    const noSite = createFunctionAppAdapter({ ...TARGET, site: "nope" }, { endpoint: sim.arm.url, log }, options);
    const missing = (await noSite.check(ROLLOUT).catch((caught: unknown) => caught)) as SentraError;
    expect(missing).toBeInstanceOf(SentraError);
    expect(missing.code).toBe("NOT_FOUND");
    expect(missing.message).toMatch(/ResourceNotFound.*sites\/nope/);
    const noSlot = createFunctionAppAdapter({ ...TARGET, slot: "canary" }, { endpoint: sim.arm.url, log }, options);
    await expect(noSlot.check(ROLLOUT)).rejects.toThrow(/sites\/orders-fn\/slots\/canary.*was not found/);

    sim.arm.failures.failRequests({ method: "PATCH", pathPattern: "/config/web$", status: 403 });
    const denied = (await adapter.setCanaryWeight(ROLLOUT, 10).catch((caught: unknown) => caught)) as SentraError;
    expect(denied.code).toBe("PERMISSION_DENIED");
    expect(denied.message).toMatch(/Microsoft\.Web\/sites\/config\/write.*docs\/adapters\.md/);
    expect(sim.updates).toBe(0);
  });

  it("sends all to stable in one write, even when reading the configuration keeps failing", async () => {
    await adapter.setCanaryWeight(ROLLOUT, 40);
    sim.arm.failures.failRequests({ method: "GET", pathPattern: "/config/web$", status: 500, times: "always" });
    await expect(adapter.setCanaryWeight(ROLLOUT, 0)).rejects.toMatchObject({ code: "UNAVAILABLE" });
    await adapter.sendAllToStable(ROLLOUT);
    expect(sim.rampUpRules(SUBSCRIPTION, "shop-rg", "orders-fn")).toEqual([]);
  });

  it("sends the slot its share of the simulated requests, labelled with the slot's version", async () => {
    sim.arm.setBehaviour("orders-fn", "v2", { errorRate: 0.5, latencyMs: 1 });
    sim.arm.setBehaviour("orders-fn", "v1", { latencyMs: 1 });
    await adapter.setCanaryWeight(ROLLOUT, 50);
    await vi.waitFor(
      async () => {
        const text = await (await fetch(sim.arm.metricsUrl)).text();
        expect(text).toMatch(/http_requests_total\{service="orders-fn",version="v2",code="500"\} \d+/);
        expect(text).toMatch(/http_requests_total\{service="orders-fn",version="v1",code="200"\} \d+/);
      },
      { timeout: 5000, interval: 100 },
    );
  });
});

describe("Azure Functions target in a rollout policy", () => {
  it("is selected by router.adapter; a bad field names its line", () => {
    const policy = parseRolloutPolicy(
      `router:\n  adapter: azure-functions\n  subscriptionId: ${SUBSCRIPTION}\n  resourceGroup: shop-rg\n  site: orders-fn\n  slot: staging\n`,
      "policy.yaml",
    );
    expect(policy.router).toEqual(TARGET);
    let problems: string[] = [];
    try {
      parseRolloutPolicy(
        `router:\n  adapter: azure-functions\n  subscriptionId: ${SUBSCRIPTION}\n  resourceGroup: shop-rg\n  site: orders-fn\n  slot: production\n`,
        "policy.yaml",
      );
    } catch (error) {
      if (!(error instanceof PolicyError)) throw error;
      problems = error.message.split("\n").slice(1);
    }
    expect(problems).toEqual([
      "policy.yaml:6:9: router.slot: must be a deployment slot name (letters, digits, -; not production)",
    ]);
  });
});
