/**
 * Starts one simulated cluster for `kubectl` experiments and prints its URL:
 *
 *   node satellite/dist/cluster/sim/main.js --name demo --port 6443 --kubeconfig /tmp/sim.kubeconfig
 *   kubectl --kubeconfig /tmp/sim.kubeconfig get deployments
 *
 * Flags win over environment variables (`SENTRA_SIM_NAME`, `SENTRA_SIM_HOST`, `SENTRA_SIM_PORT`,
 * `SENTRA_SIM_READINESS_DELAY_MS`, `SENTRA_SIM_SEED`, `SENTRA_SIM_KUBECONFIG_OUT`,
 * `SENTRA_SIM_TRAFFIC_RPS`: simulated requests per second through each HTTPRoute, 0 = none, with
 * the workloads' metrics at `/sentra-sim/v1/metrics`). Stops on SIGINT/SIGTERM.
 */
import { parseArgs } from "node:util";
import { parseConfig } from "@sentra/common";
import { z } from "zod";
import { releasePolicyCrd } from "../../gitops/release-policy-crd.js";
import type { CustomResourceDefinition } from "./custom-resource-kind.js";
import { DEFAULT_READINESS_DELAY_MS } from "./readiness-simulator.js";
import { SimulatedCluster } from "./simulated-cluster.js";

const schema = z.object({
  SENTRA_SIM_NAME: z.string().min(1).default("sim"),
  SENTRA_SIM_HOST: z.string().min(1).default("127.0.0.1"),
  SENTRA_SIM_PORT: z.coerce.number().int().min(0).max(65_535).default(0),
  SENTRA_SIM_READINESS_DELAY_MS: z.coerce.number().int().min(0).default(DEFAULT_READINESS_DELAY_MS),
  SENTRA_SIM_SEED: z.enum(["demo", "minimal", "none"]).default("demo"),
  SENTRA_SIM_KUBECONFIG_OUT: z.string().min(1).optional(),
  SENTRA_SIM_TRAFFIC_RPS: z.coerce.number().min(0).max(10_000).default(0),
});

const { values } = parseArgs({
  options: {
    name: { type: "string" },
    host: { type: "string" },
    port: { type: "string" },
    "readiness-delay-ms": { type: "string" },
    seed: { type: "string" },
    kubeconfig: { type: "string" },
    "traffic-rps": { type: "string" },
  },
});

const config = parseConfig("simulated cluster", schema, {
  ...process.env,
  ...definedOnly({
    SENTRA_SIM_NAME: values.name,
    SENTRA_SIM_HOST: values.host,
    SENTRA_SIM_PORT: values.port,
    SENTRA_SIM_READINESS_DELAY_MS: values["readiness-delay-ms"],
    SENTRA_SIM_SEED: values.seed,
    SENTRA_SIM_KUBECONFIG_OUT: values.kubeconfig,
    SENTRA_SIM_TRAFFIC_RPS: values["traffic-rps"],
  }),
});

const cluster = await SimulatedCluster.start({
  name: config.SENTRA_SIM_NAME,
  host: config.SENTRA_SIM_HOST,
  port: config.SENTRA_SIM_PORT,
  readinessDelayMs: config.SENTRA_SIM_READINESS_DELAY_MS,
  seed: config.SENTRA_SIM_SEED,
  customResourceDefinitions: [releasePolicyCrd() as unknown as CustomResourceDefinition],
  ...(config.SENTRA_SIM_TRAFFIC_RPS > 0 ? { traffic: { requestsPerSecond: config.SENTRA_SIM_TRAFFIC_RPS } } : {}),
});
if (config.SENTRA_SIM_KUBECONFIG_OUT) await cluster.writeKubeconfig(config.SENTRA_SIM_KUBECONFIG_OUT);
process.stdout.write(`${cluster.url}\n`);
if (config.SENTRA_SIM_KUBECONFIG_OUT) {
  process.stderr.write(`kubeconfig written to ${config.SENTRA_SIM_KUBECONFIG_OUT}\n`);
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void cluster.close().then(() => process.exit(0));
  });
}

function definedOnly(record: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(record).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}
