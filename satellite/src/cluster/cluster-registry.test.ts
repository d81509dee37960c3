import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger } from "@sentra/common";
import { createTestPki, getTestPki, writeServiceAccountFiles } from "@sentra/testkit";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { loadSatelliteConfig } from "../config/satellite-config.js";
import { ClusterRegistry } from "./cluster-registry.js";
import { type DeploymentSeed, deploymentManifest, SimulatedCluster } from "./sim/index.js";

const TOKEN = "service-account-token-of-the-satellite";

/**
 * The satellite started as the chart starts it in a pod: `SENTRA_KUBE_CONTEXTS=inClusterContext`
 * and no kubeconfig, the API server found through KUBERNETES_SERVICE_HOST/PORT, the service
 * account's token and CA read from files. The simulated cluster speaks HTTPS with a certificate
 * from the test CA and answers only that token, as a real API server would.
 */
describe("ClusterRegistry in a pod (in-cluster service account)", () => {
  let root: string;
  let sim: SimulatedCluster;
  let registry: ClusterRegistry | undefined;
  const logger = createLogger("satellite", "silent");

  beforeEach(async () => {
    const pki = await getTestPki();
    const serving = await pki.issue("kubernetes");
    sim = await SimulatedCluster.start({
      name: "pod-cluster",
      seed: "demo",
      namespaces: ["shop"],
      tls: { certificatePem: serving.certificatePem, privateKeyPem: serving.privateKeyPem },
      requiredToken: TOKEN,
    });
    sim.createDeployment(deploymentManifest(seed("cart"), "shop"));
    root = await mkdtemp(join(tmpdir(), "sentra-in-cluster-"));
    await writeServiceAccountFiles(root, { token: TOKEN, caFile: pki.caFile });
    const { hostname, port } = new URL(sim.url);
    // client-node's loadFromCluster reads these two itself, as the kubelet sets them in every pod.
    vi.stubEnv("KUBERNETES_SERVICE_HOST", hostname);
    vi.stubEnv("KUBERNETES_SERVICE_PORT", port);
  });

  afterEach(async () => {
    await registry?.stop();
    registry = undefined;
    vi.unstubAllEnvs();
    await sim.close();
    await rm(root, { recursive: true, force: true });
  });

  function podConfig(extra: Record<string, string> = {}) {
    return loadSatelliteConfig({
      SENTRA_CLOUD: "aws",
      SENTRA_REGION: "eu-west-1",
      SENTRA_GRPC_INSECURE: "true",
      SENTRA_KUBE_CONTEXTS: "inClusterContext",
      KUBERNETES_SERVICE_HOST: process.env.KUBERNETES_SERVICE_HOST,
      SENTRA_KUBE_SERVICE_ACCOUNT_PATH_PREFIX: root,
      ...extra,
    });
  }

  it("reaches the API server over HTTPS with the service account's token and CA and lists every Deployment", async () => {
    const config = podConfig();
    expect(config.kube?.inCluster).toEqual({ pathPrefix: root });
    registry = await ClusterRegistry.start(config, logger);
    expect(registry.names()).toEqual(["inClusterContext"]);
    const cluster = registry.get("inClusterContext");
    expect(cluster.health()).toEqual({ reachable: true, error: undefined });
    const listed = cluster.deployments().map((d) => `${d.metadata?.namespace}/${d.metadata?.name}`);
    const stored = sim.listDeployments().map((d) => `${d.metadata.namespace}/${d.metadata.name}`);
    expect(listed.sort()).toEqual(stored.sort());
    expect(listed).toContain("shop/cart");
  });

  it("is refused without the right token, and does not trust a server its CA did not sign", async () => {
    await writeServiceAccountFiles(root, { token: "someone-elses-token", caFile: (await getTestPki()).caFile });
    registry = await ClusterRegistry.start(podConfig(), logger);
    expect(registry.get("inClusterContext").health()).toMatchObject({
      reachable: false,
      error: expect.stringMatching(/401/),
    });
    await registry.stop();

    const foreignCa = await createTestPki();
    await writeServiceAccountFiles(root, { token: TOKEN, caFile: foreignCa.caFile });
    registry = await ClusterRegistry.start(podConfig(), logger);
    expect(registry.get("inClusterContext").health()).toMatchObject({
      reachable: false,
      error: expect.stringMatching(/certificate/i),
    });
  });

  it("lists and watches only SENTRA_KUBE_NAMESPACES, as a Role per namespace allows", async () => {
    // What RBAC without a ClusterRole answers to a cluster-wide list or watch.
    sim.failRequests({ pathPattern: /^\/apis\/apps\/v1\/deployments$/, status: 403, times: "always" });
    registry = await ClusterRegistry.start(podConfig({ SENTRA_KUBE_NAMESPACES: "shop, default" }), logger);
    const cluster = registry.get("inClusterContext");
    expect(cluster.health()).toEqual({ reachable: true, error: undefined });
    const namespaces = new Set(cluster.deployments().map((d) => d.metadata?.namespace));
    expect(namespaces).toEqual(new Set(["shop", "default"]));

    // The watches follow changes in the watched namespaces only.
    sim.ensureNamespace("elsewhere");
    sim.createDeployment(deploymentManifest(seed("hidden"), "elsewhere"));
    sim.createDeployment(deploymentManifest(seed("checkout"), "shop"));
    await vi.waitFor(() => expect(cluster.deployments().map((d) => d.metadata?.name)).toContain("checkout"));
    expect(cluster.deployments().map((d) => d.metadata?.name)).not.toContain("hidden");
  });
});

/** A small Deployment of its own name. */
function seed(name: string): DeploymentSeed {
  return { name, replicas: 1, image: `ghcr.io/sentra-demo/${name}`, version: "1.0.0", cpu: "100m", memory: "64Mi" };
}
