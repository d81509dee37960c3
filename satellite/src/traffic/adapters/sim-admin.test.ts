import { getTestPki } from "@sentra/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { SimulatedContainerApps } from "./azure-container-apps/sim/simulated-container-apps.js";
import { SimulatedCloudRun } from "./gcp-cloud-run/sim/simulated-cloud-run.js";

const SUBSCRIPTION = "00000000-0000-0000-0000-000000000000";

async function post(url: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(url, { method: "POST", body: JSON.stringify(body) });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

describe("control paths of the simulated cloud APIs", () => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    await Promise.all(closers.splice(0).map((close) => close()));
  });

  it("steer the simulated Cloud Run API over HTTP and name a bad field", async () => {
    const sim = await SimulatedCloudRun.start({
      services: [{ project: "sim-project", location: "europe-west1", service: "checkout", versions: ["v1", "v2"] }],
    });
    closers.push(() => sim.close());
    const admin = `${sim.url}/sentra-sim/v1`;
    const failed = await post(`${admin}/controls`, { type: "failRequests", method: "PATCH", status: 429, times: 2 });
    expect(failed.status).toBe(200);
    expect(failed.json.failures).toMatchObject({ requestFailures: [{ method: "PATCH", status: 429, remaining: 2 }] });
    expect((await post(`${admin}/controls`, { type: "reset" })).json.failures).toMatchObject({ requestFailures: [] });
    expect(await post(`${admin}/behaviour`, { service: "checkout", version: "v2", errorRate: 2 })).toEqual({
      status: 400,
      json: { error: "errorRate: Too big: expected number to be <=1" },
    });
    expect((await post(`${admin}/behaviour`, { service: "nope", version: "v2", errorRate: 0.5 })).json).toEqual({
      error: "service: no simulated Cloud Run service nope",
    });
    expect((await post(`${admin}/controls`, { type: "explode" })).status).toBe(400);
  });

  it("steer a simulated ARM API on its metrics port", async () => {
    const sim = await SimulatedContainerApps.start({
      tls: await (await getTestPki()).issue("management.azure.sim"),
      apps: [{ subscriptionId: SUBSCRIPTION, resourceGroup: "sim-rg", name: "checkout", versions: ["v1", "v2"] }],
    });
    closers.push(() => sim.close());
    const admin = new URL("/sentra-sim/v1", sim.arm.metricsUrl).toString();
    const answer = await post(`${admin}/controls`, {
      type: "deactivateRevision",
      containerApp: "checkout",
      revision: "checkout--v2",
    });
    expect(answer.json.containerApps).toMatchObject([{ inactive: ["checkout--v2"] }]);
    expect(
      (await post(`${admin}/controls`, { type: "deactivateRevision", containerApp: "checkout", revision: "x" })).json,
    ).toEqual({ error: "revision: x is not a revision of checkout" });
    expect((await fetch(`${admin}/state`)).status).toBe(200);
  });
});
