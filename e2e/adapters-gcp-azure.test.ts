import { RolloutPhase } from "@sentra/proto";
import { SimulatedCloudRun, SimulatedContainerApps, SimulatedFunctionApps } from "@sentra/satellite";
import { createTestNamespace, eventually, getTestPki, type TestNamespace } from "@sentra/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ADAPTER_SCENARIOS,
  type AdapterRolloutSatellite,
  type AdapterScenario,
  rollbackComplete,
  startAdapterRolloutSatellite,
} from "./support/adapter-rollout.js";

const PROJECT = "shop-prod-1";
const LOCATION = "europe-west1";
const SUBSCRIPTION = "6f1c2b9e-3d4a-4e5f-9a7b-1c2d3e4f5a6b";
const GCP_TOKEN = "ya29.e2e-simulated-google-token-never-logged";
const ARM_TOKEN = "eyJ0eXAi.e2e-simulated-arm-token-never-logged";

describe("Cloud Run, Azure Container Apps and Azure Functions adapters end to end (real satellite and Prometheus; simulated APIs behind the unmodified SDKs)", () => {
  let namespace: TestNamespace;
  let cloudRun: SimulatedCloudRun;
  let containerApps: SimulatedContainerApps;
  let functionApps: SimulatedFunctionApps;
  let estate: AdapterRolloutSatellite;

  beforeAll(async () => {
    namespace = await createTestNamespace("gcpazureadapters");
    cloudRun = await SimulatedCloudRun.start({
      token: GCP_TOKEN,
      requestsPerSecond: 60,
      services: ADAPTER_SCENARIOS.map((scenario) => ({
        project: PROJECT,
        location: LOCATION,
        service: `run-${scenario}`,
        versions: ["v1", "v2"],
      })),
    });
    namespace.defer(() => cloudRun.close());
    const pki = await getTestPki();
    containerApps = await SimulatedContainerApps.start({
      tls: await pki.issue("management.azure.sim"),
      token: ARM_TOKEN,
      requestsPerSecond: 60,
      apps: ADAPTER_SCENARIOS.map((scenario) => ({
        subscriptionId: SUBSCRIPTION,
        resourceGroup: "shop-rg",
        name: `aca-${scenario}`,
        versions: ["v1", "v2"],
      })),
    });
    namespace.defer(() => containerApps.close());
    // Another ARM endpoint; the same identity's token is good for both (one managed identity).
    functionApps = await SimulatedFunctionApps.start({
      tls: await pki.issue("management.azure.sim"),
      token: ARM_TOKEN,
      requestsPerSecond: 60,
      sites: ADAPTER_SCENARIOS.map((scenario) => ({
        subscriptionId: SUBSCRIPTION,
        resourceGroup: "shop-rg",
        site: `fn-${scenario}`,
        slot: "staging",
        productionVersion: "v1",
        slotVersion: "v2",
      })),
    });
    namespace.defer(() => functionApps.close());
    // The bad canaries fail half their requests from their first one.
    cloudRun.setBehaviour(PROJECT, LOCATION, "run-bad", "v2", { errorRate: 0.5 });
    containerApps.arm.setBehaviour("aca-bad", "v2", { errorRate: 0.5 });
    functionApps.arm.setBehaviour("fn-bad", "v2", { errorRate: 0.5 });

    estate = await startAdapterRolloutSatellite(namespace, {
      cloud: "gcp",
      region: "europe-west1",
      metricsUrls: [cloudRun.metricsUrl, containerApps.arm.metricsUrl, functionApps.arm.metricsUrl],
      scrapedBeforeStart: [
        { service: "run-good", version: "v1" },
        { service: "aca-good", version: "v1" },
        { service: "fn-good", version: "v1" },
      ],
      env: {
        SENTRA_ADAPTER_ENDPOINT_GCP_CLOUD_RUN: cloudRun.url,
        SENTRA_ADAPTER_ENDPOINT_AZURE_CONTAINER_APPS: containerApps.arm.url,
        SENTRA_ADAPTER_ENDPOINT_AZURE_FUNCTIONS: functionApps.arm.url,
        // The SDKs' default chains, as in a pod: Google's metadata server (GKE Workload Identity) and
        // an App Service style managed identity endpoint for DefaultAzureCredential. Nothing else
        // passes credentials; the ARM endpoint's certificate is from the test CA.
        GCE_METADATA_HOST: cloudRun.metadataHost,
        ...containerApps.arm.managedIdentityEnvironment,
        NODE_EXTRA_CA_CERTS: pki.caFile,
        GOOGLE_APPLICATION_CREDENTIALS: "",
      },
    });
  }, 120_000);
  afterAll(async () => {
    await namespace?.dispose();
  });

  it("gcp-cloud-run: a 50 %-error canary rolls back, a healthy one promotes, a service whose etag'd updates keep failing mid-rollout ends at 0 % through sendAllToStable", async () => {
    const ids = { bad: "run-bad", good: "run-good", flaky: "run-flaky" } satisfies Record<AdapterScenario, string>;
    await estate.startRollouts(ids, (scenario) => ({
      namespace: "cloud-run",
      service: `run-${scenario}`,
      stableVersion: "v1",
      canaryVersion: "v2",
      routerYaml: `router:\n  adapter: gcp-cloud-run\n  project: ${PROJECT}\n  location: ${LOCATION}\n  service: run-${scenario}\n`,
    }));
    // Once the flaky service serves its first step, another writer changes it before every update:
    // each update carrying the etag it read is ABORTED (retries included); the etag-less write of
    // sendAllToStable still goes through.
    await eventually(
      () =>
        expect(cloudRun.traffic(PROJECT, LOCATION, "run-flaky")).toEqual({ "run-flaky-v1": 80, "run-flaky-v2": 20 }),
      30_000,
    );
    cloudRun.interleaveWrites(Number.POSITIVE_INFINITY, "run-flaky");

    const { bad, good, flaky } = await estate.outcomes(ids);
    expect(bad.phase).toBe(RolloutPhase.ROLLED_BACK);
    expect(cloudRun.traffic(PROJECT, LOCATION, "run-bad")).toEqual({ "run-bad-v1": 100, "run-bad-v2": 0 });
    expect(good.phase).toBe(RolloutPhase.PROMOTED);
    expect(cloudRun.traffic(PROJECT, LOCATION, "run-good")).toEqual({ "run-good-v1": 0, "run-good-v2": 100 });
    expect(good.decisions.filter((decision) => decision.decision === "weightApplied").at(-1)).toMatchObject({
      router: "gcp-cloud-run",
      canaryWeight: 100,
    });
    expect(flaky.phase).toBe(RolloutPhase.ROLLED_BACK);
    expect(cloudRun.traffic(PROJECT, LOCATION, "run-flaky")).toEqual({ "run-flaky-v1": 100 });
    const complete = rollbackComplete(flaky.decisions);
    expect(complete?.router).toBe("gcp-cloud-run (all to stable)");
    expect(complete?.canaryWeight).toBe(0);
    expect(estate.satellite.process.output()).not.toContain(GCP_TOKEN);
  }, 150_000);

  it("azure-container-apps: a 50 %-error canary rolls back, a healthy one promotes, an app whose canary revision is deactivated mid-rollout ends at 0 % through sendAllToStable", async () => {
    const ids = { bad: "aca-bad", good: "aca-good", flaky: "aca-flaky" } satisfies Record<AdapterScenario, string>;
    await estate.startRollouts(ids, (scenario) => ({
      namespace: "container-apps",
      service: `aca-${scenario}`,
      stableVersion: "v1",
      canaryVersion: "v2",
      routerYaml: `router:\n  adapter: azure-container-apps\n  subscriptionId: ${SUBSCRIPTION}\n  resourceGroup: shop-rg\n  containerApp: aca-${scenario}\n`,
    }));
    // Once the flaky app serves its first step, its canary revision is deactivated: every weighted
    // write naming it is refused; sendAllToStable writes the stable revision alone.
    await eventually(
      () =>
        expect(containerApps.traffic(SUBSCRIPTION, "shop-rg", "aca-flaky")).toEqual({
          "aca-flaky--v1": 80,
          "aca-flaky--v2": 20,
        }),
      30_000,
    );
    containerApps.deactivateRevision(SUBSCRIPTION, "shop-rg", "aca-flaky", "aca-flaky--v2");

    const { bad, good, flaky } = await estate.outcomes(ids);
    expect(bad.phase).toBe(RolloutPhase.ROLLED_BACK);
    expect(containerApps.traffic(SUBSCRIPTION, "shop-rg", "aca-bad")).toEqual({ "aca-bad--v1": 100, "aca-bad--v2": 0 });
    expect(good.phase).toBe(RolloutPhase.PROMOTED);
    expect(containerApps.traffic(SUBSCRIPTION, "shop-rg", "aca-good")).toEqual({
      "aca-good--v1": 0,
      "aca-good--v2": 100,
    });
    expect(good.decisions.filter((decision) => decision.decision === "weightApplied").at(-1)).toMatchObject({
      router: "azure-container-apps",
      canaryWeight: 100,
    });
    expect(flaky.phase).toBe(RolloutPhase.ROLLED_BACK);
    expect(containerApps.traffic(SUBSCRIPTION, "shop-rg", "aca-flaky")).toEqual({ "aca-flaky--v1": 100 });
    const complete = rollbackComplete(flaky.decisions);
    expect(complete?.router).toBe("azure-container-apps (all to stable)");
    expect(complete?.canaryWeight).toBe(0);
    expect(estate.satellite.process.output()).not.toContain(ARM_TOKEN);
  }, 150_000);

  it("azure-functions: a 50 %-error canary slot rolls back, a healthy one promotes, a site whose configuration reads fail mid-rollout ends at 0 % through sendAllToStable", async () => {
    const ids = { bad: "fn-bad", good: "fn-good", flaky: "fn-flaky" } satisfies Record<AdapterScenario, string>;
    await estate.startRollouts(ids, (scenario) => ({
      namespace: "functions",
      service: `fn-${scenario}`,
      stableVersion: "v1",
      canaryVersion: "v2",
      routerYaml: `router:\n  adapter: azure-functions\n  subscriptionId: ${SUBSCRIPTION}\n  resourceGroup: shop-rg\n  site: fn-${scenario}\n  slot: staging\n`,
    }));
    const rule = (percent: number) => ({
      name: "staging",
      actionHostName: "fn-flaky-staging.azurewebsites.net",
      reroutePercentage: percent,
    });
    // Once the flaky site reroutes its first step, reading its configuration fails (500, the SDK's
    // retries included): every read-modify-write of the rules fails; the blind clearing write of
    // sendAllToStable still goes through.
    await eventually(
      () => expect(functionApps.rampUpRules(SUBSCRIPTION, "shop-rg", "fn-flaky")).toEqual([rule(20)]),
      30_000,
    );
    functionApps.arm.failures.failRequests({
      method: "GET",
      pathPattern: "/sites/fn-flaky/config/web$",
      status: 500,
      times: "always",
    });

    const { bad, good, flaky } = await estate.outcomes(ids);
    expect(bad.phase).toBe(RolloutPhase.ROLLED_BACK);
    expect(functionApps.rampUpRules(SUBSCRIPTION, "shop-rg", "fn-bad")).toEqual([]);
    expect(good.phase).toBe(RolloutPhase.PROMOTED);
    expect(functionApps.rampUpRules(SUBSCRIPTION, "shop-rg", "fn-good")).toEqual([
      { name: "staging", actionHostName: "fn-good-staging.azurewebsites.net", reroutePercentage: 100 },
    ]);
    expect(good.decisions.filter((decision) => decision.decision === "weightApplied").at(-1)).toMatchObject({
      router: "azure-functions",
      canaryWeight: 100,
    });
    expect(flaky.phase).toBe(RolloutPhase.ROLLED_BACK);
    expect(functionApps.rampUpRules(SUBSCRIPTION, "shop-rg", "fn-flaky")).toEqual([]);
    const complete = rollbackComplete(flaky.decisions);
    expect(complete?.router).toBe("azure-functions (all to stable)");
    expect(complete?.canaryWeight).toBe(0);
    expect(estate.satellite.process.output()).not.toContain(ARM_TOKEN);
  }, 150_000);
});
