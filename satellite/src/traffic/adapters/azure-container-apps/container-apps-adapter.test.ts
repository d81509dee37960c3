import { SentraError } from "@sentra/common";
import { getTestPki } from "@sentra/testkit";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { PolicyError, parseRolloutPolicy, type RolloutTarget } from "../../../rollout/index.js";
import type { AzureAdapterOptions } from "../azure/azure-client-options.js";
import { simulatedArmAccess, staticTokenCredential } from "../azure/azure-test-fixture.js";
import { type ContainerAppsAdapter, createContainerAppsAdapter } from "./container-apps-adapter.js";
import { SimulatedContainerApps } from "./sim/simulated-container-apps.js";

const SUBSCRIPTION = "6f1c2b9e-3d4a-4e5f-9a7b-1c2d3e4f5a6b";
const TARGET = {
  adapter: "azure-container-apps",
  subscriptionId: SUBSCRIPTION,
  resourceGroup: "shop-rg",
  containerApp: "checkout",
} as const;
const ROLLOUT: RolloutTarget = {
  id: "ro-1",
  service: "checkout",
  namespace: "default",
  version: "v2",
  stableVersion: "v1",
};

// The unmodified @azure/arm-appcontainers client against the simulated ARM endpoint (HTTPS, bearer
// token). The test's credential and the test CA come in through the adapter's options, the only
// way they can; production takes DefaultAzureCredential and the public CAs.
describe("Container Apps adapter against the simulated ARM API", () => {
  let sim: SimulatedContainerApps;
  let options: AzureAdapterOptions;
  let adapter: ContainerAppsAdapter;
  const log = vi.fn();

  beforeEach(async () => {
    const pki = await getTestPki();
    const serving = await pki.issue("management.azure.sim");
    sim = await SimulatedContainerApps.start({
      tls: serving,
      throttleRetryAfterSeconds: 0,
      apps: [{ subscriptionId: SUBSCRIPTION, resourceGroup: "shop-rg", name: "checkout", versions: ["v1", "v2"] }],
    });
    options = {
      ...(await simulatedArmAccess(sim.arm.token, pki.caFile)),
      pollIntervalMs: 10,
      sdkRetryDelayMs: 10,
      retry: { attempts: 4, baseDelayMs: 5 },
    };
    adapter = createContainerAppsAdapter(TARGET, { endpoint: sim.arm.url, log }, options);
  });

  afterEach(async () => {
    await sim.close();
    log.mockClear();
  });

  it("checks the stable revision, sets weights through the long-running operation and reads them back", async () => {
    await adapter.check(ROLLOUT);
    await adapter.setCanaryWeight(ROLLOUT, 20);
    expect(sim.traffic(SUBSCRIPTION, "shop-rg", "checkout")).toEqual({ "checkout--v1": 80, "checkout--v2": 20 });
    expect(await adapter.readCanaryWeight(ROLLOUT)).toBe(20);
    expect(sim.arm.requests.some((request) => request.includes("/operationStatuses/"))).toBe(true);
    await adapter.setCanaryWeight(ROLLOUT, 100);
    expect(sim.traffic(SUBSCRIPTION, "shop-rg", "checkout")).toEqual({ "checkout--v1": 0, "checkout--v2": 100 });
    await adapter.setCanaryWeight(ROLLOUT, 0);
    expect(sim.traffic(SUBSCRIPTION, "shop-rg", "checkout")).toEqual({ "checkout--v1": 100, "checkout--v2": 0 });
    expect(JSON.stringify(log.mock.calls)).not.toContain(sim.arm.token);
  });

  it("waits out throttling (429 with Retry-After) through the SDK's retry policy", async () => {
    sim.arm.failures.failRequests({ method: "PATCH", status: 429, times: 2 });
    await adapter.setCanaryWeight(ROLLOUT, 5);
    expect(sim.traffic(SUBSCRIPTION, "shop-rg", "checkout")).toEqual({ "checkout--v1": 95, "checkout--v2": 5 });
    // Both 429s were answered (the rule is used up) and the SDK retried them, not the adapter.
    expect(sim.arm.failures.snapshot().requestFailures).toEqual([]);
    expect(log).not.toHaveBeenCalledWith("container apps call retried", expect.anything());
  });

  it("re-reads and writes again after a conflict (another operation in progress)", async () => {
    sim.arm.failures.failRequests({
      method: "PATCH",
      status: 409,
      times: 2,
      message: "ContainerAppOperationInProgress",
    });
    await adapter.setCanaryWeight(ROLLOUT, 40);
    expect(await adapter.readCanaryWeight(ROLLOUT)).toBe(40);
    expect(sim.arm.failures.snapshot().requestFailures).toEqual([]);
    expect(log).toHaveBeenCalledWith("container apps call retried", expect.objectContaining({ code: "ABORTED" }));
  });

  it("names a missing app and a denied permission clearly, without retrying", async () => {
    const missing = createContainerAppsAdapter(
      { ...TARGET, containerApp: "nope" },
      { endpoint: sim.arm.url, log },
      options,
    );
    const error = (await missing.check(ROLLOUT).catch((caught: unknown) => caught)) as SentraError;
    expect(error).toBeInstanceOf(SentraError);
    expect(error.code).toBe("NOT_FOUND");
    expect(error.message).toMatch(/ResourceNotFound.*containerApps\/nope/);

    sim.arm.failures.failRequests({ method: "PATCH", status: 403 });
    const denied = (await adapter.setCanaryWeight(ROLLOUT, 10).catch((caught: unknown) => caught)) as SentraError;
    expect(denied.code).toBe("PERMISSION_DENIED");
    expect(denied.message).toMatch(/AuthorizationFailed.*Microsoft\.App\/containerApps\/write.*docs\/adapters\.md/);
    expect(sim.updates).toBe(0);
  });

  it("refuses an app that does not serve the stable revision, one in Single mode, and an unknown revision", async () => {
    await expect(adapter.check({ ...ROLLOUT, stableVersion: "v2" })).rejects.toMatchObject({
      code: "FAILED_PRECONDITION",
      field: "stable_version",
    });
    sim.addApp({
      subscriptionId: SUBSCRIPTION,
      resourceGroup: "shop-rg",
      name: "single",
      versions: ["v1"],
      activeRevisionsMode: "Single",
    });
    const single = createContainerAppsAdapter(
      { ...TARGET, containerApp: "single" },
      { endpoint: sim.arm.url, log },
      options,
    );
    await expect(single.check(ROLLOUT)).rejects.toThrow(/Single revision mode; traffic splitting needs Multiple/);
    await expect(adapter.setCanaryWeight({ ...ROLLOUT, version: "v9" }, 10)).rejects.toThrow(
      /ContainerAppInvalidRevisionName.*checkout--v9/,
    );
  });

  it("sends all to stable once the canary revision is deactivated and weighted writes naming it fail", async () => {
    await adapter.setCanaryWeight(ROLLOUT, 20);
    sim.deactivateRevision(SUBSCRIPTION, "shop-rg", "checkout", "checkout--v2");
    await expect(adapter.setCanaryWeight(ROLLOUT, 0)).rejects.toThrow(/ContainerAppRevisionNotActive.*checkout--v2/);
    await adapter.sendAllToStable(ROLLOUT);
    expect(sim.traffic(SUBSCRIPTION, "shop-rg", "checkout")).toEqual({ "checkout--v1": 100 });
  });

  it("refuses a token the endpoint does not accept", async () => {
    const wrong = staticTokenCredential("forged", 60_000);
    const forged = createContainerAppsAdapter(
      TARGET,
      { endpoint: sim.arm.url, log },
      { ...options, credential: wrong },
    );
    await expect(forged.check(ROLLOUT)).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
  });

  it("sends all traffic to stable, and the sim's requests follow the weights with each version's errors", async () => {
    sim.arm.setBehaviour("checkout", "v2", { errorRate: 0.5, latencyMs: 1 });
    sim.arm.setBehaviour("checkout", "v1", { latencyMs: 1 });
    await adapter.setCanaryWeight(ROLLOUT, 50);
    await vi.waitFor(
      async () => {
        const text = await (await fetch(sim.arm.metricsUrl)).text();
        expect(text).toMatch(/http_requests_total\{service="checkout",version="v2",code="500"\} \d+/);
        expect(text).toMatch(/http_requests_total\{service="checkout",version="v1",code="200"\} \d+/);
      },
      { timeout: 5000, interval: 100 },
    );
    await adapter.sendAllToStable(ROLLOUT);
    expect(sim.traffic(SUBSCRIPTION, "shop-rg", "checkout")).toEqual({ "checkout--v1": 100 });
    expect(await adapter.readCanaryWeight(ROLLOUT)).toBe(0);
  });
});

describe("Container Apps target in a rollout policy", () => {
  it("is selected by router.adapter; a bad field names its line", () => {
    const policy = parseRolloutPolicy(
      `router:\n  adapter: azure-container-apps\n  subscriptionId: ${SUBSCRIPTION}\n  resourceGroup: shop-rg\n  containerApp: checkout\n`,
      "policy.yaml",
    );
    expect(policy.router).toEqual(TARGET);
    let problems: string[] = [];
    try {
      parseRolloutPolicy(
        "router:\n  adapter: azure-container-apps\n  subscriptionId: abc\n  resourceGroup: shop-rg\n  containerApp: Check--out\n",
        "policy.yaml",
      );
    } catch (error) {
      if (!(error instanceof PolicyError)) throw error;
      problems = error.message.split("\n").slice(1);
    }
    expect(problems).toEqual([
      "policy.yaml:3:19: router.subscriptionId: must be a subscription id (a GUID)",
      "policy.yaml:5:17: router.containerApp: must be a container app name (2-32 lower-case letters, digits, -; no --)",
    ]);
  });
});
