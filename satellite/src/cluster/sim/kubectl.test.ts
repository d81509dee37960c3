import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SimulatedCluster } from "./simulated-cluster.js";

const KUBECTL = process.env.KUBECTL ?? "/usr/bin/kubectl";
const run = promisify(execFile);

// The real kubectl against the simulated API server: discovery, server-side table printing,
// the scale subresource. A missing kubectl fails these tests (a skip would count as nothing).
describe("SimulatedCluster with the installed kubectl", () => {
  let cluster: SimulatedCluster;
  let dir: string;
  let kubeconfig: string;

  /** Runs kubectl asynchronously: the API server lives in this process, a sync spawn would deadlock. */
  const kubectl = async (...args: string[]) => {
    const { stdout } = await run(KUBECTL, ["--kubeconfig", kubeconfig, "--cache-dir", join(dir, "cache"), ...args], {
      timeout: 20_000,
      env: { ...process.env, HOME: dir, KUBECONFIG: kubeconfig },
    });
    return stdout;
  };

  beforeAll(async () => {
    if (!existsSync(KUBECTL)) throw new Error(`kubectl not found at ${KUBECTL}: install it or set KUBECTL`);
    dir = await mkdtemp(join(tmpdir(), "sentra-sim-kubectl-"));
    kubeconfig = join(dir, "kubeconfig");
    cluster = await SimulatedCluster.start({
      name: "kubectl-test",
      readinessDelayMs: 300,
      seed: "demo",
      seedNamespace: "shop",
    });
    await cluster.writeKubeconfig(kubeconfig, { contextName: "sim" });
  });

  afterAll(async () => {
    await cluster?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("gets the seeded deployments with their replica columns", async () => {
    const out = await kubectl("get", "deployments", "-n", "shop");
    const lines = out.trim().split("\n");
    expect(lines[0]).toMatch(/^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE$/);
    for (const name of [
      "checkout-api",
      "payments-worker",
      "search-indexer",
      "recommendation-model",
      "ledger-db-proxy",
    ]) {
      expect(out).toMatch(new RegExp(`^${name}\\s+\\d+/\\d+`, "m"));
    }
    expect(out).toMatch(/^checkout-api\s+3\/3\s+3\s+3\s/m);
  });

  it("scales a deployment through the scale subresource", async () => {
    const out = await kubectl("scale", "deployment/checkout-api", "--replicas=5", "-n", "shop");
    expect(out.trim()).toBe("deployment.apps/checkout-api scaled");
    expect(cluster.getDeployment("shop", "checkout-api")?.spec.replicas).toBe(5);
    await kubectl("rollout", "status", "deployment/checkout-api", "-n", "shop", "--timeout=10s");
    expect(cluster.getDeployment("shop", "checkout-api")?.status?.readyReplicas).toBe(5);
    expect(
      await kubectl("get", "deployment", "checkout-api", "-n", "shop", "-o", "jsonpath={.status.readyReplicas}"),
    ).toBe("5");
  });

  it("reads namespaces, the server version and labelled deployments", async () => {
    expect(await kubectl("get", "namespaces", "-o", "name")).toContain("namespace/shop");
    expect(await kubectl("version", "-o", "json")).toContain("v1.32.0-sentra-sim");
    const out = await kubectl("get", "deploy", "-A", "-l", "app=search-indexer", "-o", "name");
    expect(out.trim()).toBe("deployment.apps/search-indexer");
  });
});
