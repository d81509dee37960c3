/**
 * Starts the simulated Cloud Run, Container Apps and Azure Functions APIs, so the gcp-cloud-run,
 * azure-container-apps and azure-functions router adapters can be tried without a cloud account,
 * and prints one JSON line saying what to point a satellite and Prometheus at:
 *
 *   node satellite/dist/traffic/adapters/gcp-azure-sim-main.js --service checkout --versions v1,v2 --rps 50
 *
 * One Cloud Run service (`projects/sim-project/locations/europe-west1/services/<service>`,
 * revisions `<service>-<version>`), one container app (`<service>`, revisions
 * `<service>--<version>`, subscription `00000000-0000-0000-0000-000000000000`, resource group
 * `sim-rg`) and one Function App (`<service>-fn` with slot `staging`: production runs the first
 * version, the slot the second). The ARM endpoints serve HTTPS with a development CA written to a
 * temporary folder (`caFile`: give it to the satellite as NODE_EXTRA_CA_CERTS). Control paths
 * (`GET state`, `POST behaviour`, `POST controls` under `/sentra-sim/v1/`) are on the Cloud Run
 * URL and on each ARM sim's plain-HTTP metrics port (docs/adapters.md). Stops on SIGINT/SIGTERM.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createDevelopmentCa } from "@sentra/common";
import { SimulatedContainerApps } from "./azure-container-apps/sim/simulated-container-apps.js";
import { SimulatedFunctionApps } from "./azure-functions/sim/simulated-function-apps.js";
import { SimulatedCloudRun } from "./gcp-cloud-run/sim/simulated-cloud-run.js";

const SUBSCRIPTION = "00000000-0000-0000-0000-000000000000";
const { values } = parseArgs({
  options: {
    service: { type: "string", default: "checkout" },
    versions: { type: "string", default: "v1,v2" },
    rps: { type: "string", default: "50" },
  },
});
const service = values.service ?? "checkout";
const versions = (values.versions ?? "v1,v2").split(",").map((version) => version.trim());
const requestsPerSecond = Number(values.rps);
if (!/^[a-z][a-z0-9-]{0,28}[a-z0-9]$/.test(service)) throw new Error(`--service: a lower-case name, got "${service}"`);
if (versions.length < 2 || versions.some((version) => !/^[a-z0-9][a-z0-9-]*$/.test(version))) {
  throw new Error(`--versions: at least two lower-case versions separated by commas, got "${values.versions}"`);
}
if (!Number.isFinite(requestsPerSecond) || requestsPerSecond < 0 || requestsPerSecond > 10_000) {
  throw new Error(`--rps: requests per second, 0-10000, got "${values.rps}"`);
}
const [stable = "v1", canary = "v2"] = versions;

const dir = mkdtempSync(join(tmpdir(), "sentra-gcp-azure-sim-"));
const ca = await createDevelopmentCa({ dir });
const tls = await ca.issue("management.azure.sim", "arm");
const token = "sim-token-for-the-simulated-apis";
const cloudRun = await SimulatedCloudRun.start({
  token,
  requestsPerSecond,
  services: [{ project: "sim-project", location: "europe-west1", service, versions }],
});
const containerApps = await SimulatedContainerApps.start({
  tls,
  token,
  requestsPerSecond,
  apps: [{ subscriptionId: SUBSCRIPTION, resourceGroup: "sim-rg", name: service, versions }],
});
const functionApps = await SimulatedFunctionApps.start({
  tls,
  token,
  requestsPerSecond,
  sites: [
    {
      subscriptionId: SUBSCRIPTION,
      resourceGroup: "sim-rg",
      site: `${service}-fn`,
      slot: "staging",
      productionVersion: stable,
      slotVersion: canary,
    },
  ],
});

console.log(
  JSON.stringify({
    cloudRunUrl: cloudRun.url,
    containerAppsUrl: containerApps.arm.url,
    functionsUrl: functionApps.arm.url,
    caFile: ca.certificatePath,
    satelliteEnv: {
      SENTRA_ADAPTER_ENDPOINT_GCP_CLOUD_RUN: cloudRun.url,
      SENTRA_ADAPTER_ENDPOINT_AZURE_CONTAINER_APPS: containerApps.arm.url,
      SENTRA_ADAPTER_ENDPOINT_AZURE_FUNCTIONS: functionApps.arm.url,
      GCE_METADATA_HOST: cloudRun.metadataHost,
      ...containerApps.arm.managedIdentityEnvironment,
      NODE_EXTRA_CA_CERTS: ca.certificatePath,
    },
    controls: [cloudRun.url, containerApps.arm.metricsUrl, functionApps.arm.metricsUrl].map((url) =>
      new URL("/sentra-sim/v1/", url).toString(),
    ),
    metrics: [cloudRun.metricsUrl, containerApps.arm.metricsUrl, functionApps.arm.metricsUrl],
  }),
);

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await Promise.all([cloudRun.close(), containerApps.close(), functionApps.close()]);
  rmSync(dir, { recursive: true, force: true });
}
process.once("SIGINT", () => void stop());
process.once("SIGTERM", () => void stop());
