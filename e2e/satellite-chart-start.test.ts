import { spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeNatsServerFiles } from "@sentra/cli";
import { SimulatedCluster } from "@sentra/satellite";
import {
  createTestNamespace,
  freePort,
  getTestPki,
  helmBinary,
  REPO_ROOT,
  startNatsServer,
  startProcess,
  type TestNamespace,
  writeServiceAccountFiles,
} from "@sentra/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { PROCESS_START_TIMEOUT_MS } from "./support/estate-processes.js";
import { containerEnvironment, type RenderedPodTemplate } from "./support/pod-environment.js";

const SATELLITE_ID = "aws-eu-west-1";
const TOKEN = "the-satellite-service-account-token";

/**
 * What `helm install` of the satellite chart starts, started: the chart rendered by the real helm,
 * its container's command and environment as rendered, run as the built satellite with only what
 * a pod would have on top — the files its Secrets mount (the test PKI's certificate, the nkey seed
 * `sentra nats-config` wrote for a real nats-server with per-satellite permissions), the service
 * account's token and CA, and the kubelet's KUBERNETES_SERVICE_HOST/PORT pointing at a simulated
 * cluster that speaks HTTPS and answers only that token. It must start and see its cluster. A
 * wrong in-cluster context name in the chart (as `inCluster` once was) fails here at the start.
 */
describe("the satellite chart, rendered and started as a pod would run it", () => {
  let namespace: TestNamespace;
  let dir: string;
  let sim: SimulatedCluster;
  let natsUrl: string;
  let seedFile: string;

  beforeEach(async () => {
    namespace = await createTestNamespace("chartstart");
    dir = await mkdtemp(join(tmpdir(), "sentra-chart-start-"));
    namespace.defer(() => rm(dir, { recursive: true, force: true }));
    const nats = await writeNatsServerFiles({
      dir: join(dir, "nats-server"),
      satelliteIds: [SATELLITE_ID],
      subjectPrefix: namespace.subjectPrefix,
      listen: `127.0.0.1:${await freePort()}`,
    });
    const server = await startNatsServer({ configPath: nats.serverConfigPath });
    namespace.defer(() => server.dispose());
    natsUrl = nats.url;
    seedFile = nats.satelliteSeedPaths.get(SATELLITE_ID) ?? "";

    const serving = await (await getTestPki()).issue("kubernetes");
    sim = await SimulatedCluster.start({
      name: "pod-cluster",
      seed: "demo",
      namespaces: ["shop"],
      tls: { certificatePem: serving.certificatePem, privateKeyPem: serving.privateKeyPem },
      requiredToken: TOKEN,
    });
    namespace.defer(() => sim.close());
  });

  afterEach(async () => {
    await namespace.dispose();
  });

  /** Renders the chart, starts its container's command with its environment; the ops URL and the start log line. */
  async function installAndStart(set: Record<string, string>): Promise<{ opsUrl: string; clusters: string[] }> {
    const rendered = renderSatelliteChart({
      "satellite.region": "eu-west-1",
      "satellite.advertisedEndpoint": "sat.example:50061",
      "nats.url": natsUrl,
      // The test namespace's subjects, which the nats-server configuration allows this satellite.
      "env.SENTRA_SUBJECT_PREFIX": namespace.subjectPrefix,
      ...set,
    });
    const pki = await getTestPki();
    const tls = await pki.satelliteEnv(SATELLITE_ID);
    const podEnvironment = await containerEnvironment(
      rendered,
      "satellite",
      {
        "sentra-satellite-tls": {
          "ca.crt": tls.SENTRA_TLS_CA_FILE ?? "",
          "tls.crt": tls.SENTRA_TLS_CERT_FILE ?? "",
          "tls.key": tls.SENTRA_TLS_KEY_FILE ?? "",
        },
        "sentra-satellite-nats": { seed: seedFile },
      },
      join(dir, "volumes"),
    );
    const podRoot = join(dir, "pod-root");
    await writeServiceAccountFiles(podRoot, { token: TOKEN, caFile: pki.caFile });
    const { hostname, port } = new URL(sim.url);
    const [command, ...args] = rendered.spec.containers[0]?.command ?? [];
    expect(command).toBe("node");
    const child = startProcess(
      process.execPath,
      // The image's working directory is the repository's root (Dockerfile WORKDIR /app).
      args.map((arg) => join(REPO_ROOT, arg)),
      {
        ...podEnvironment,
        // A pod has its own network: the chart's fixed ports may be taken on a shared test machine.
        SENTRA_GRPC_HOST: "127.0.0.1",
        SENTRA_GRPC_PORT: "0",
        SENTRA_HTTP_HOST: "127.0.0.1",
        SENTRA_HTTP_PORT: "0",
        // What the kubelet adds to every container.
        KUBERNETES_SERVICE_HOST: hostname,
        KUBERNETES_SERVICE_PORT: port,
        HOSTNAME: "rel-sentra-satellite-7d9f8-abcde",
        // Test-only: the service account's files below podRoot instead of /var/run.
        SENTRA_KUBE_SERVICE_ACCOUNT_PATH_PREFIX: podRoot,
      },
      // Only the pod's environment: nothing of the test runner's (a KUBECONFIG, say) leaks in.
      { inheritEnvironment: false },
    );
    namespace.defer(() => child.stop());
    await child.waitForOutput(/"msg":"satellite started"/, PROCESS_START_TIMEOUT_MS);
    const line = child
      .output()
      .split("\n")
      .find((text) => text.includes('"satellite started"'));
    return JSON.parse(line ?? "{}") as { opsUrl: string; clusters: string[] };
  }

  it("starts from its defaults and reaches its cluster through the service account", async () => {
    const started = await installAndStart({});
    expect(started.clusters).toEqual(["inClusterContext"]);
    const health = (await (await fetch(`${started.opsUrl}/healthz`)).json()) as Record<string, unknown>;
    expect(health).toMatchObject({
      ok: true,
      satelliteId: SATELLITE_ID,
      nats: "open",
      clusters: [{ cluster: "inClusterContext", reachable: true }],
    });
    expect((await fetch(`${started.opsUrl}/livez`)).status).toBe(200);
  });

  it("starts with namespaced RBAC and watches only those namespaces, where a cluster-wide list is forbidden", async () => {
    // What the API server answers a satellite bound only to Roles when it lists across namespaces.
    sim.failRequests({ pathPattern: /^\/apis\/apps\/v1\/deployments$/, status: 403, times: "always" });
    const started = await installAndStart({ "rbac.namespaced": "true", "rbac.namespaces": "{shop,default}" });
    const health = (await (await fetch(`${started.opsUrl}/healthz`)).json()) as Record<string, unknown>;
    expect(health).toMatchObject({ clusters: [{ cluster: "inClusterContext", reachable: true }] });
  });
});

/** `helm template` of the satellite chart; its Deployment's pod template. */
function renderSatelliteChart(set: Record<string, string>): RenderedPodTemplate {
  const args = ["template", "rel", join(REPO_ROOT, "charts/sentra-satellite"), "--namespace", "sentra-system"];
  for (const [key, value] of Object.entries(set)) args.push("--set", `${key}=${value}`);
  const result = spawnSync(helmBinary(), args, { encoding: "utf8", cwd: REPO_ROOT });
  if (result.status !== 0) throw new Error(result.stderr);
  // YAML 1.1, as Kubernetes reads manifests (`defaultMode: 0400` is octal).
  const deployment = parseAllDocuments(result.stdout, { version: "1.1" })
    .map((document) => document.toJS() as { kind?: string; spec?: { template: RenderedPodTemplate } } | null)
    .find((object) => object?.kind === "Deployment");
  if (deployment?.spec === undefined) throw new Error("the chart rendered no Deployment");
  return deployment.spec.template;
}
