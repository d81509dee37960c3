import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { type KubernetesObject, PatchStrategy } from "@kubernetes/client-node";
import {
  RELEASE_POLICY_GROUP,
  RELEASE_POLICY_KIND,
  RELEASE_POLICY_VERSION,
  type ReleasePolicyStatus,
  SIM_ERROR_RATE_ANNOTATION,
  SIM_REQUESTS_PER_SECOND_ANNOTATION,
} from "@sentra/satellite";
import { createTestNamespace, eventually, type TestNamespace } from "@sentra/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GuardedSatellite, startGuardedSatellite } from "./support/guarded-satellite.js";

const run = promisify(execFile);
const KUBECTL = process.env.KUBECTL ?? "/usr/bin/kubectl";
const NAMESPACE = "shop";
const API_VERSION = `${RELEASE_POLICY_GROUP}/${RELEASE_POLICY_VERSION}`;

/** Fast enough for a test, slow enough for Prometheus' 1 s scrapes to see each step. */
const POLICY = {
  steps: [50, 50],
  warmupSeconds: 2,
  intervalSeconds: 2,
  windowSeconds: 5,
  passesToPromote: 2,
  gates: [
    { name: "error_rate", minSampleSize: 20 },
    { name: "p95_latency_ms", minSampleSize: 20 },
  ],
};

interface ReleasePolicy extends KubernetesObject {
  spec: Record<string, unknown>;
  status?: ReleasePolicyStatus;
}

/** The `cart` Deployment an Argo CD / Flux would sync from git: the template source. */
function cartDeployment(image: string, annotations: Record<string, string> = {}): KubernetesObject {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "cart", namespace: NAMESPACE, labels: { app: "cart" } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: "cart" } },
      template: {
        metadata: { labels: { app: "cart", "app.kubernetes.io/name": "cart" }, annotations },
        spec: { containers: [{ name: "cart", image, ports: [{ name: "http", containerPort: 8080 }] }] },
      },
    },
  } as KubernetesObject;
}

describe("GitOps trigger: a ReleasePolicy releases every pod template change of its Deployment", () => {
  let namespace: TestNamespace;
  let guarded: GuardedSatellite;
  let kubeDir: string;

  beforeAll(async () => {
    if (!existsSync(KUBECTL)) throw new Error(`kubectl not found at ${KUBECTL}: install it or set KUBECTL`);
    namespace = await createTestNamespace("gitops");
    guarded = await startGuardedSatellite(namespace, "aws", "us-east-1", {
      env: { SENTRA_RELEASE_POLICY_INTERVAL_MS: "500" },
    });
    kubeDir = await mkdtemp(join(tmpdir(), "sentra-gitops-kube-"));
    await writeFile(
      join(kubeDir, "config"),
      [
        "apiVersion: v1",
        "kind: Config",
        `clusters: [{name: sim, cluster: {server: "${guarded.clusterUrl}", insecure-skip-tls-verify: true}}]`,
        "users: [{name: test, user: {token: test}}]",
        "contexts: [{name: sim, context: {cluster: sim, user: test}}]",
        "current-context: sim",
      ].join("\n"),
    );
    const { objects } = guarded;
    await objects.create(cartDeployment("ghcr.io/sentra-demo/cart:1.0"));
    await objects.create({
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "cart", namespace: NAMESPACE },
      spec: { selector: { app: "cart" }, ports: [{ name: "http", port: 80, targetPort: 8080 }] },
    } as KubernetesObject);
    // The route lives in git too: it names the stable slot; Sentra moves its weights.
    await objects.create({
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "HTTPRoute",
      metadata: { name: "cart", namespace: NAMESPACE, annotations: { [SIM_REQUESTS_PER_SECOND_ANNOTATION]: "150" } },
      spec: {
        parentRefs: [{ name: "public-gateway" }],
        rules: [{ backendRefs: [{ name: "cart-blue", port: 80, weight: 100 }] }],
      },
    } as KubernetesObject);
  }, 90_000);
  afterAll(async () => {
    console.log(
      guarded?.satellite.process
        .output()
        .split("\n")
        .filter((l) => /release|Release|policy|warn|WARN|error/.test(l))
        .slice(-40)
        .join("\n"),
    );
    if (kubeDir) await rm(kubeDir, { recursive: true, force: true });
    await namespace?.dispose();
  });

  const kubectl = async (...args: string[]): Promise<string> =>
    (
      await run(KUBECTL, ["--kubeconfig", join(kubeDir, "config"), "--cache-dir", join(kubeDir, "cache"), ...args], {
        timeout: 20_000,
      })
    ).stdout;
  const read = async <T extends KubernetesObject>(apiVersion: string, kind: string, name: string): Promise<T> =>
    (await guarded.objects.read({ apiVersion, kind, metadata: { name, namespace: NAMESPACE } })) as T;
  const policy = (name: string) => read<ReleasePolicy>(API_VERSION, RELEASE_POLICY_KIND, name);
  const replicasOf = async (name: string) =>
    (await read<KubernetesObject & { spec: { replicas: number } }>("apps/v1", "Deployment", name)).spec.replicas;
  const cartWeights = async (): Promise<Record<string, number>> => {
    const route = await read<
      KubernetesObject & { spec: { rules: { backendRefs: { name: string; weight: number }[] }[] } }
    >("gateway.networking.k8s.io/v1", "HTTPRoute", "cart");
    return Object.fromEntries(route.spec.rules[0]?.backendRefs.map((ref) => [ref.name, ref.weight]) ?? []);
  };
  const changeTemplate = async (image: string, annotations: Record<string, string> = {}) => {
    await guarded.objects.patch(
      {
        ...cartDeployment(image, annotations),
        spec: { template: (cartDeployment(image, annotations) as { spec: { template: unknown } }).spec.template },
      } as KubernetesObject,
      undefined,
      undefined,
      undefined,
      undefined,
      PatchStrategy.MergePatch,
    );
  };
  const eventsOf = async (name: string): Promise<{ type: string; reason: string; message: string }[]> => {
    const list = (await guarded.objects.list("v1", "Event", NAMESPACE)) as unknown as {
      items: { type: string; reason: string; message: string; involvedObject: { kind: string; name: string } }[];
    };
    return list.items.filter(
      (event) => event.involvedObject.kind === RELEASE_POLICY_KIND && event.involvedObject.name === name,
    );
  };

  it("adopts the Deployment into slot blue, then a new image is released step by step to slot green and promoted", async () => {
    await guarded.objects.create({
      apiVersion: API_VERSION,
      kind: RELEASE_POLICY_KIND,
      metadata: { name: "cart", namespace: NAMESPACE },
      spec: { targetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "cart" }, policy: POLICY },
    } as KubernetesObject);
    await eventually(async () => {
      expect((await policy("cart")).status).toMatchObject({ phase: "Initialized", stableSlot: "blue", replicas: 2 });
    }, 20_000);
    expect(await replicasOf("cart-blue")).toBe(2);
    // The synced Deployment only holds the template now.
    await eventually(async () => expect(await replicasOf("cart")).toBe(0), 5_000);
    await guarded.prometheus.waitForValue('sum(http_requests_total{service="cart",version="blue"})', 30_000);

    await changeTemplate("ghcr.io/sentra-demo/cart:1.1");
    const started = await eventually(async () => {
      const status = (await policy("cart")).status;
      expect(status?.rolloutId).toBe("rp-shop-cart-1");
      expect(status?.rolloutActive).toBe(true);
      return status;
    }, 10_000);
    expect(started?.canaryImages).toBe("ghcr.io/sentra-demo/cart:1.1");
    // Mid-rollout the status shows the step and weight, as kubectl get shows them.
    await eventually(async () => expect((await policy("cart")).status?.canaryWeight).toBe(50), 30_000, 200);
    await eventually(
      async () => expect((await policy("cart")).status).toMatchObject({ phase: "Promoted", stableSlot: "green" }),
      60_000,
      500,
    );
    expect(await cartWeights()).toEqual({ "cart-blue": 0, "cart-green": 100 });
    expect(await replicasOf("cart-green")).toBe(2);
    expect(await replicasOf("cart-blue")).toBe(0);
    expect((await eventsOf("cart")).map((event) => event.reason)).toEqual(
      expect.arrayContaining(["Initialized", "RolloutStarted", "Promoted"]),
    );
  }, 120_000);

  it("rolls a bad template back, keeps the stable slot, and does not release that template again", async () => {
    await changeTemplate("ghcr.io/sentra-demo/cart:1.2", { [SIM_ERROR_RATE_ANNOTATION]: "0.5" });
    await eventually(
      async () =>
        expect((await policy("cart")).status).toMatchObject({ rolloutId: "rp-shop-cart-2", rolloutActive: true }),
      10_000,
    );
    const ended = await eventually(
      async () => {
        const status = (await policy("cart")).status;
        expect(status?.phase).toBe("RolledBack");
        return status;
      },
      60_000,
      500,
    );
    expect(ended).toMatchObject({ stableSlot: "green", rolloutActive: false });
    expect(ended?.failedTemplateHash).toBe(ended?.canaryTemplateHash);
    expect(ended?.conditions?.find((condition) => condition.type === "Ready")).toMatchObject({
      status: "False",
      reason: "RolledBack",
    });
    expect(await cartWeights()).toEqual({ "cart-blue": 0, "cart-green": 100 });
    expect(await replicasOf("cart-blue")).toBe(0);
    const warning = (await eventsOf("cart")).find((event) => event.reason === "RolledBack");
    expect(warning?.type).toBe("Warning");
    // Several passes later the same template has not been released again.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect((await policy("cart")).status).toMatchObject({ releases: 2, phase: "RolledBack" });

    // kubectl shows it as a platform engineer expects.
    const table = await kubectl("get", "releasepolicies", "-n", NAMESPACE);
    expect(table.split("\n")[0]).toMatch(/^NAME\s+TARGET\s+PHASE\s+WEIGHT\s+STEP\s+DECISION\s+AGE$/);
    expect(table).toMatch(/^cart\s+cart\s+RolledBack\s+0\s+1\/2\s+rollbackComplete\s+\S+$/m);
    const byShortName = await kubectl("get", "rp", "cart", "-n", NAMESPACE, "-o", "jsonpath={.status.stableSlot}");
    expect(byShortName).toBe("green");
  }, 120_000);

  it("gives an invalid ReleasePolicy a status condition naming the field, and the API refuses a missing targetRef", async () => {
    await guarded.objects.create({
      apiVersion: API_VERSION,
      kind: RELEASE_POLICY_KIND,
      metadata: { name: "broken", namespace: NAMESPACE },
      spec: { targetRef: { name: "cart" }, policy: { steps: [150] } },
    } as KubernetesObject);
    const status = await eventually(async () => {
      const current = (await policy("broken")).status;
      expect(current?.phase).toBe("Invalid");
      return current;
    }, 10_000);
    expect(status?.message).toMatch(/^spec\.policy\.steps/);
    expect(status?.conditions?.[0]).toMatchObject({ type: "Ready", status: "False", reason: "InvalidSpec" });
    expect((await eventsOf("broken")).map((event) => event.reason)).toContain("InvalidSpec");
    // The satellite goes on: the good policy is untouched.
    expect((await policy("cart")).status?.phase).toBe("RolledBack");

    await expect(
      guarded.objects.create({
        apiVersion: API_VERSION,
        kind: RELEASE_POLICY_KIND,
        metadata: { name: "no-target", namespace: NAMESPACE },
        spec: { policy: {} },
      } as KubernetesObject),
    ).rejects.toThrow(/spec\.targetRef: Required value/);
  }, 60_000);
});
