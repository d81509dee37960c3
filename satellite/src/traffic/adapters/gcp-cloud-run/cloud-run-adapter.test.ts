import { SentraError } from "@sentra/common";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { PolicyError, parseRolloutPolicy, type RolloutTarget } from "../../../rollout/index.js";
import { type CloudRunAdapter, createCloudRunAdapter } from "./cloud-run-adapter.js";
import { SimulatedCloudRun } from "./sim/simulated-cloud-run.js";

const PROJECT = "shop-prod-1";
const LOCATION = "europe-west1";
const TARGET = { adapter: "gcp-cloud-run", project: PROJECT, location: LOCATION, service: "checkout" } as const;
const ROLLOUT: RolloutTarget = {
  id: "ro-1",
  service: "checkout",
  namespace: "default",
  version: "v2",
  stableVersion: "v1",
};
const FAST = { retry: { attempts: 4, baseDelayMs: 5 }, operationPollMs: 20 };

// The unmodified @google-cloud/run client against the simulated Admin API; credentials come from
// google-auth-library's own chain, here the simulated metadata server (as on GKE with Workload Identity).
describe("Cloud Run adapter against the simulated Admin API", () => {
  let sim: SimulatedCloudRun;
  let adapter: CloudRunAdapter;
  const log = vi.fn();

  beforeEach(async () => {
    sim = await SimulatedCloudRun.start({
      services: [{ project: PROJECT, location: LOCATION, service: "checkout", versions: ["v1", "v2"] }],
    });
    vi.stubEnv("GCE_METADATA_HOST", sim.metadataHost);
    adapter = createCloudRunAdapter(TARGET, { endpoint: sim.url, log }, FAST);
  });

  afterEach(async () => {
    await adapter.close();
    await sim.close();
    vi.unstubAllEnvs();
    log.mockClear();
  });

  it("checks the stable revision, sets weights through the operation and reads them back", async () => {
    await adapter.check(ROLLOUT);
    await adapter.setCanaryWeight(ROLLOUT, 20);
    expect(sim.traffic(PROJECT, LOCATION, "checkout")).toEqual({ "checkout-v1": 80, "checkout-v2": 20 });
    expect(await adapter.readCanaryWeight(ROLLOUT)).toBe(20);
    await adapter.setCanaryWeight(ROLLOUT, 100);
    expect(sim.traffic(PROJECT, LOCATION, "checkout")).toEqual({ "checkout-v1": 0, "checkout-v2": 100 });
    await adapter.setCanaryWeight(ROLLOUT, 0);
    expect(sim.traffic(PROJECT, LOCATION, "checkout")).toEqual({ "checkout-v1": 100, "checkout-v2": 0 });
    expect(JSON.stringify(log.mock.calls)).not.toContain(sim.token);
  });

  it("re-reads and retries when another writer changed the service (etag ABORTED)", async () => {
    sim.interleaveWrites(2);
    await adapter.setCanaryWeight(ROLLOUT, 40);
    expect(await adapter.readCanaryWeight(ROLLOUT)).toBe(40);
    expect(log).toHaveBeenCalledWith("cloud run call retried", expect.objectContaining({ code: "ABORTED" }));
  });

  it("treats FAILED_PRECONDITION on an update as a concurrent change: re-read and retried", async () => {
    sim.failures.failRequests({ method: "PATCH", status: 400, times: 1, message: "Precondition check failed." });
    await adapter.setCanaryWeight(ROLLOUT, 10);
    expect(sim.traffic(PROJECT, LOCATION, "checkout")).toEqual({ "checkout-v1": 90, "checkout-v2": 10 });
    expect(sim.failures.snapshot().requestFailures).toEqual([]);
  });

  it("retries throttling (RESOURCE_EXHAUSTED) and a passing outage", async () => {
    sim.failures.failRequests({ method: "PATCH", status: 429, times: 2 });
    sim.failures.failRequests({ method: "GET", status: 503, times: 1 });
    await adapter.setCanaryWeight(ROLLOUT, 5);
    expect(sim.traffic(PROJECT, LOCATION, "checkout")).toEqual({ "checkout-v1": 95, "checkout-v2": 5 });
    expect(log).toHaveBeenCalledWith("cloud run call retried", expect.objectContaining({ code: "RESOURCE_EXHAUSTED" }));
  });

  it("fails throttling that does not stop, with the code", async () => {
    sim.failures.failRequests({ method: "PATCH", status: 429, times: "always" });
    await expect(adapter.setCanaryWeight(ROLLOUT, 5)).rejects.toMatchObject({ code: "RESOURCE_EXHAUSTED" });
  });

  it("names a missing service and a denied permission clearly, without retrying", async () => {
    const missing = createCloudRunAdapter({ ...TARGET, service: "nope" }, { endpoint: sim.url, log }, FAST);
    const error = await missing.check(ROLLOUT).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SentraError);
    expect(error).toMatchObject({ code: "NOT_FOUND" });
    expect((error as Error).message).toContain("projects/shop-prod-1/locations/europe-west1/services/nope");
    await missing.close();

    sim.failures.failRequests({ method: "GET", status: 403, message: "Permission 'run.services.get' denied" });
    const denied = (await adapter.check(ROLLOUT).catch((caught: unknown) => caught)) as Error;
    expect(denied).toMatchObject({ code: "PERMISSION_DENIED" });
    expect(denied.message).toMatch(/run\.services\.get.*docs\/adapters\.md/);
  });

  it("refuses a service that does not serve the stable revision, and a missing canary revision", async () => {
    await expect(adapter.check({ ...ROLLOUT, stableVersion: "v2" })).rejects.toMatchObject({
      code: "FAILED_PRECONDITION",
      field: "stable_version",
    });
    await expect(adapter.setCanaryWeight({ ...ROLLOUT, version: "v9" }, 10)).rejects.toThrow(
      /Revision named 'checkout-v9' does not exist/,
    );
  });

  it("sends all traffic to stable without an etag while another writer keeps changing the service", async () => {
    await adapter.setCanaryWeight(ROLLOUT, 70);
    sim.interleaveWrites(Number.POSITIVE_INFINITY);
    await expect(adapter.setCanaryWeight(ROLLOUT, 0)).rejects.toMatchObject({ code: "ABORTED" });
    await adapter.sendAllToStable(ROLLOUT);
    expect(sim.traffic(PROJECT, LOCATION, "checkout")).toEqual({ "checkout-v1": 100 });
    expect(await adapter.readCanaryWeight(ROLLOUT)).toBe(0);
  });

  it("sends each revision its share of the simulated traffic, with its error rate", async () => {
    sim.setBehaviour(PROJECT, LOCATION, "checkout", "v2", { errorRate: 0.5, latencyMs: 1 });
    sim.setBehaviour(PROJECT, LOCATION, "checkout", "v1", { latencyMs: 1 });
    await adapter.setCanaryWeight(ROLLOUT, 50);
    const url = sim.metricsUrl;
    await vi.waitFor(
      async () => {
        const text = await (await fetch(url)).text();
        expect(text).toMatch(/http_requests_total\{service="checkout",version="v2",code="500"\} \d+/);
        expect(text).toMatch(/http_requests_total\{service="checkout",version="v1",code="200"\} \d+/);
      },
      { timeout: 5000, interval: 100 },
    );
  });
});

describe("Cloud Run target in a rollout policy", () => {
  function problemsOf(yaml: string): string[] {
    try {
      parseRolloutPolicy(yaml, "policy.yaml");
    } catch (error) {
      if (error instanceof PolicyError) return error.message.split("\n").slice(1);
      throw error;
    }
    return [];
  }

  it("is selected by router.adapter and kept as the policy's target", () => {
    const policy = parseRolloutPolicy(
      "router:\n  adapter: gcp-cloud-run\n  project: shop-prod-1\n  location: europe-west1\n  service: checkout\n",
      "policy.yaml",
    );
    expect(policy.router).toEqual(TARGET);
  });

  it("names the line and field of an invalid target", () => {
    expect(
      problemsOf("router:\n  adapter: gcp-cloud-run\n  project: Shop\n  location: eu\n  servise: checkout\n"),
    ).toEqual([
      "policy.yaml:2:3: router.service: is required",
      "policy.yaml:3:12: router.project: must be a Google Cloud project id (6-30 lower-case letters, digits, hyphens)",
      "policy.yaml:4:13: router.location: must be a Cloud Run region such as europe-west1",
      'policy.yaml:5:3: router.servise: unknown field "servise" (did you mean "service"?)',
    ]);
  });
});
