import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  makeInformer,
  PatchStrategy,
  setHeaderOptions,
  type V1Deployment,
  type V1DeploymentSpec,
  Watch,
} from "@kubernetes/client-node";
import { afterEach, describe, expect, it } from "vitest";
import type { DeploymentObject } from "./deployment-kind.js";
import { deploymentManifest } from "./seed-workloads.js";
import { SimulatedCluster } from "./simulated-cluster.js";

const DELAY_MS = 400;
const opened: SimulatedCluster[] = [];

async function startCluster(options: Partial<Parameters<typeof SimulatedCluster.start>[0]> = {}) {
  const cluster = await SimulatedCluster.start({ name: "test", readinessDelayMs: DELAY_MS, seed: "demo", ...options });
  opened.push(cluster);
  const kc = new KubeConfig();
  kc.loadFromString(cluster.kubeconfigYaml());
  return { cluster, kc, apps: kc.makeApiClient(AppsV1Api), core: kc.makeApiClient(CoreV1Api) };
}

async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function expectApiError(promise: Promise<unknown>, code: number): Promise<ApiException<unknown>> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApiException);
  expect((error as ApiException<unknown>).code).toBe(code);
  return error as ApiException<unknown>;
}

/** Our manifests are plain JSON; client-node's model types them with Date fields they do not set. */
const asV1 = (deployment: DeploymentObject) => deployment as unknown as V1Deployment;

afterEach(async () => {
  await Promise.all(opened.splice(0).map((cluster) => cluster.close()));
});

describe("SimulatedCluster through @kubernetes/client-node", () => {
  it("lists the seeded deployments, namespaced and across namespaces", async () => {
    const { apps } = await startCluster();
    const list = await apps.listNamespacedDeployment({ namespace: "default" });
    expect(list.items.map((d) => d.metadata?.name)).toEqual([
      "checkout-api",
      "ledger-db-proxy",
      "payments-worker",
      "recommendation-model",
      "search-indexer",
      "storefront-web",
    ]);
    const checkout = list.items[0];
    expect(checkout?.spec?.template.spec?.containers[0]?.resources?.requests).toEqual({ cpu: "500m", memory: "512Mi" });
    expect(checkout?.status?.readyReplicas).toBe(3);
    const all = await apps.listDeploymentForAllNamespaces({ labelSelector: "app=checkout-api" });
    expect(all.items.map((d) => d.metadata?.name)).toEqual(["checkout-api"]);
    expect(Number(all.metadata?.resourceVersion)).toBeGreaterThan(0);
  });

  it("scales through the scale subresource (json patch) and becomes ready only after the delay", async () => {
    const { apps, cluster } = await startCluster();
    // Taken before the request: the server starts the delay when it commits the patch, later.
    const requestedAt = Date.now();
    const scale = await apps.patchNamespacedDeploymentScale({
      name: "checkout-api",
      namespace: "default",
      body: [{ op: "replace", path: "/spec/replicas", value: 5 }],
    });
    expect(scale.kind).toBe("Scale");
    expect(scale.spec?.replicas).toBe(5);

    const justAfter = await apps.readNamespacedDeployment({ name: "checkout-api", namespace: "default" });
    expect(justAfter.spec?.replicas).toBe(5);
    expect(justAfter.status?.readyReplicas).toBe(3);
    expect(justAfter.metadata?.generation).toBe(2);
    expect(justAfter.status?.observedGeneration).toBe(1);

    await waitFor(async () => {
      const d = await apps.readNamespacedDeployment({ name: "checkout-api", namespace: "default" });
      return d.status?.readyReplicas === 5 ? d : undefined;
    });
    expect(Date.now() - requestedAt).toBeGreaterThanOrEqual(DELAY_MS - 5);
    const ready = cluster.getDeployment("default", "checkout-api");
    expect(ready?.status).toMatchObject({
      replicas: 5,
      updatedReplicas: 5,
      availableReplicas: 5,
      observedGeneration: 2,
    });
  });

  it("scales with a merge patch on the scale subresource and with replaceNamespacedDeploymentScale", async () => {
    const { apps } = await startCluster();
    const merge = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
    await apps.patchNamespacedDeploymentScale(
      { name: "payments-worker", namespace: "default", body: { spec: { replicas: 4 } } },
      merge,
    );
    expect(
      (await apps.readNamespacedDeploymentScale({ name: "payments-worker", namespace: "default" })).spec?.replicas,
    ).toBe(4);

    const current = await apps.readNamespacedDeploymentScale({ name: "search-indexer", namespace: "default" });
    expect(current.status?.selector).toBe("app=search-indexer");
    const replaced = await apps.replaceNamespacedDeploymentScale({
      name: "search-indexer",
      namespace: "default",
      body: { ...current, spec: { replicas: 6 } },
    });
    expect(replaced.spec?.replicas).toBe(6);
    const right = await apps.readNamespacedDeployment({ name: "search-indexer", namespace: "default" });
    expect(right.status?.readyReplicas).toBe(2);
    await waitFor(async () => {
      const later = await apps.readNamespacedDeployment({ name: "search-indexer", namespace: "default" });
      return later.status?.readyReplicas === 6 || undefined;
    });
  });

  it("scales with a merge patch on the deployment; scale-down settles quickly", async () => {
    const { apps } = await startCluster({ readinessDelayMs: 1000 });
    const merge = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
    const patched = await apps.patchNamespacedDeployment(
      { name: "storefront-web", namespace: "default", body: { spec: { replicas: 6 } } },
      merge,
    );
    expect(patched.spec?.replicas).toBe(6);
    await sleep(300);
    expect(
      (await apps.readNamespacedDeployment({ name: "storefront-web", namespace: "default" })).status?.readyReplicas,
    ).toBe(4);
    await waitFor(async () => {
      const d = await apps.readNamespacedDeployment({ name: "storefront-web", namespace: "default" });
      return d.status?.readyReplicas === 6 || undefined;
    });

    const downAt = Date.now();
    await apps.patchNamespacedDeployment(
      { name: "storefront-web", namespace: "default", body: { spec: { replicas: 2 } } },
      merge,
    );
    await waitFor(async () => {
      const d = await apps.readNamespacedDeployment({ name: "storefront-web", namespace: "default" });
      return d.status?.readyReplicas === 2 || undefined;
    });
    expect(Date.now() - downAt).toBeLessThan(800);
  });

  it("honours the per-deployment readiness delay annotation", async () => {
    const { apps } = await startCluster({ readinessDelayMs: 5000 });
    const merge = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
    await apps.patchNamespacedDeployment(
      {
        name: "ledger-db-proxy",
        namespace: "default",
        body: { metadata: { annotations: { "sentra.io/sim-readiness-delay-ms": "50" } }, spec: { replicas: 3 } },
      },
      merge,
    );
    await waitFor(async () => {
      const d = await apps.readNamespacedDeployment({ name: "ledger-db-proxy", namespace: "default" });
      return d.status?.readyReplicas === 3 || undefined;
    }, 1000);
  });

  it("streams MODIFIED events with the new ready count to a Watch", async () => {
    const { apps, kc } = await startCluster();
    const list = await apps.listNamespacedDeployment({ namespace: "default" });
    const events: { type: string; ready: number | undefined; desired: number | undefined; rv: string | undefined }[] =
      [];
    let doneError: unknown = "not done";
    const controller = await new Watch(kc).watch(
      "/apis/apps/v1/namespaces/default/deployments",
      { resourceVersion: list.metadata?.resourceVersion, allowWatchBookmarks: true },
      (type, object: V1Deployment) => {
        if (object.metadata?.name === "checkout-api") {
          events.push({
            type,
            ready: object.status?.readyReplicas,
            desired: object.spec?.replicas,
            rv: object.metadata.resourceVersion,
          });
        }
      },
      (error) => {
        doneError = error;
      },
    );
    await apps.patchNamespacedDeploymentScale({
      name: "checkout-api",
      namespace: "default",
      body: [{ op: "replace", path: "/spec/replicas", value: 4 }],
    });
    await waitFor(() => events.find((e) => e.ready === 4));
    expect(events[0]).toMatchObject({ type: "MODIFIED", desired: 4, ready: 3 });
    expect(events.at(-1)).toMatchObject({ type: "MODIFIED", desired: 4, ready: 4 });
    const versions = events.map((e) => Number(e.rv));
    expect([...versions].sort((a, b) => a - b)).toEqual(versions);
    controller.abort();
    await waitFor(() => doneError !== "not done" || undefined);
  });

  it("replays events after a resourceVersion and answers 410 for one that is too old", async () => {
    const { apps, kc, cluster } = await startCluster({ watchHistorySize: 5 });
    const startRv = cluster.resourceVersion;
    await apps.patchNamespacedDeploymentScale({
      name: "checkout-api",
      namespace: "default",
      body: [{ op: "replace", path: "/spec/replicas", value: 2 }],
    });
    const replayed: string[] = [];
    const controller = await new Watch(kc).watch(
      "/apis/apps/v1/namespaces/default/deployments",
      { resourceVersion: String(startRv) },
      (type, object: V1Deployment) => replayed.push(`${type} ${object.metadata?.name} ${object.spec?.replicas}`),
      () => {},
    );
    await waitFor(() => replayed.length > 0 || undefined);
    expect(replayed[0]).toBe("MODIFIED checkout-api 2");
    controller.abort();

    for (let i = 0; i < 6; i++) {
      await apps.patchNamespacedDeployment(
        { name: "ledger-db-proxy", namespace: "default", body: { metadata: { labels: { round: String(i) } } } },
        setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
      );
    }
    const gone = await new Promise<unknown>((resolve) => {
      void new Watch(kc).watch("/apis/apps/v1/deployments", { resourceVersion: String(startRv) }, () => {}, resolve);
    });
    expect((gone as { statusCode?: number }).statusCode).toBe(410);
  });

  it("keeps an informer in sync across dropped watches", async () => {
    const { apps, kc, cluster } = await startCluster();
    const informer = makeInformer<V1Deployment>(kc, "/apis/apps/v1/deployments", () =>
      apps.listDeploymentForAllNamespaces(),
    );
    await informer.start();
    await waitFor(() => informer.list().length === 6 || undefined);
    cluster.dropWatches();
    await cluster.createDeployment(
      deploymentManifest({ name: "late", replicas: 1, image: "x", version: "1", cpu: "1", memory: "1Gi" }),
    );
    await waitFor(() => informer.get("late", "default"));
    await informer.stop();
    await waitFor(() => cluster.openWatchCount === 0 || undefined);
  });

  it("answers 409 Conflict for a replace or patch with a stale resourceVersion", async () => {
    const { apps } = await startCluster();
    const stale = await apps.readNamespacedDeployment({ name: "checkout-api", namespace: "default" });
    await apps.patchNamespacedDeployment(
      { name: "checkout-api", namespace: "default", body: { metadata: { labels: { touched: "yes" } } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    const replace = await expectApiError(
      apps.replaceNamespacedDeployment({ name: "checkout-api", namespace: "default", body: stale }),
      409,
    );
    expect(JSON.parse(String(replace.body))).toMatchObject({ kind: "Status", reason: "Conflict", code: 409 });

    await expectApiError(
      apps.patchNamespacedDeployment(
        {
          name: "checkout-api",
          namespace: "default",
          body: { metadata: { resourceVersion: stale.metadata?.resourceVersion }, spec: { replicas: 9 } },
        },
        setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
      ),
      409,
    );
    const staleScale = {
      apiVersion: "autoscaling/v1",
      kind: "Scale",
      metadata: { name: "checkout-api", namespace: "default", resourceVersion: stale.metadata?.resourceVersion },
      spec: { replicas: 9 },
    };
    await expectApiError(
      apps.replaceNamespacedDeploymentScale({ name: "checkout-api", namespace: "default", body: staleScale }),
      409,
    );
    // json-patch `test` on the resourceVersion is the other precondition idiom: 422 when it fails.
    await expectApiError(
      apps.patchNamespacedDeployment({
        name: "checkout-api",
        namespace: "default",
        body: [
          { op: "test", path: "/metadata/resourceVersion", value: stale.metadata?.resourceVersion },
          { op: "replace", path: "/spec/replicas", value: 9 },
        ],
      }),
      422,
    );
    expect((await apps.readNamespacedDeployment({ name: "checkout-api", namespace: "default" })).spec?.replicas).toBe(
      3,
    );
  });

  it("creates, replaces and deletes deployments, with k8s Status errors", async () => {
    const { apps, cluster } = await startCluster({ seed: "none", namespaces: ["shop"] });
    const body = asV1(
      deploymentManifest(
        { name: "cart", replicas: 2, image: "ghcr.io/x/cart", version: "1.0.0", cpu: "100m", memory: "64Mi" },
        "shop",
      ),
    );
    const created = await apps.createNamespacedDeployment({ namespace: "shop", body });
    expect(created.metadata?.uid).toBeTruthy();
    expect(created.metadata?.generation).toBe(1);
    expect(created.status?.readyReplicas).toBe(2);
    const exists = await expectApiError(apps.createNamespacedDeployment({ namespace: "shop", body }), 409);
    expect(JSON.parse(String(exists.body))).toMatchObject({ reason: "AlreadyExists" });
    await expectApiError(
      apps.createNamespacedDeployment({ namespace: "nowhere", body: { ...body, metadata: { name: "cart" } } }),
      404,
    );
    await expectApiError(
      apps.createNamespacedDeployment({
        namespace: "shop",
        body: { ...body, metadata: { name: "bad" }, spec: { ...(body.spec as V1DeploymentSpec), replicas: -1 } },
      }),
      422,
    );

    const replaced = await apps.replaceNamespacedDeployment({
      name: "cart",
      namespace: "shop",
      body: { ...created, spec: { ...created.spec, replicas: 3 } } as V1Deployment,
    });
    expect(replaced.metadata?.generation).toBe(2);
    expect(Number(replaced.metadata?.resourceVersion)).toBeGreaterThan(Number(created.metadata?.resourceVersion));

    const noop = await apps.replaceNamespacedDeployment({ name: "cart", namespace: "shop", body: replaced });
    expect(noop.metadata?.resourceVersion).toBe(replaced.metadata?.resourceVersion);

    await apps.deleteNamespacedDeployment({ name: "cart", namespace: "shop" });
    await expectApiError(apps.readNamespacedDeployment({ name: "cart", namespace: "shop" }), 404);
    expect(cluster.listDeployments("shop")).toEqual([]);
  });

  it("starts API-created deployments unready when asked, then converges", async () => {
    const { apps } = await startCluster({ seed: "none", startReady: false });
    const body = asV1(
      deploymentManifest({ name: "cold", replicas: 2, image: "x", version: "1", cpu: "1", memory: "1Gi" }),
    );
    const created = await apps.createNamespacedDeployment({ namespace: "default", body });
    expect(created.status?.readyReplicas).toBeUndefined();
    await waitFor(async () => {
      const d = await apps.readNamespacedDeployment({ name: "cold", namespace: "default" });
      return d.status?.readyReplicas === 2 || undefined;
    });
  });

  it("lists, gets and creates namespaces", async () => {
    const { core } = await startCluster({ seed: "none", namespaces: ["payments"] });
    const names = (await core.listNamespace()).items.map((ns) => ns.metadata?.name);
    expect(names).toEqual(["default", "kube-system", "payments"]);
    const created = await core.createNamespace({ body: { metadata: { name: "search" } } });
    expect(created.status?.phase).toBe("Active");
    expect((await core.readNamespace({ name: "search" })).metadata?.labels).toEqual({
      "kubernetes.io/metadata.name": "search",
    });
    await expectApiError(core.readNamespace({ name: "missing" }), 404);
  });

  it("supports the watch-list protocol and refuses to delete protected namespaces", async () => {
    const { cluster, core } = await startCluster();
    const controller = new AbortController();
    const response = await fetch(
      `${cluster.url}/apis/apps/v1/namespaces/default/deployments?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan`,
      { signal: controller.signal },
    );
    const reader = response.body?.getReader();
    let text = "";
    while (reader && !text.includes("BOOKMARK")) {
      const chunk = await reader.read();
      if (chunk.done) break;
      text += new TextDecoder().decode(chunk.value);
    }
    controller.abort();
    const events = text
      .trim()
      .split("\n")
      .map(
        (line) => JSON.parse(line) as { type: string; object: { metadata: { annotations?: Record<string, string> } } },
      );
    expect(events.map((e) => e.type)).toEqual([...Array(6).fill("ADDED"), "BOOKMARK"]);
    expect(events.at(-1)?.object.metadata.annotations).toEqual({ "k8s.io/initial-events-end": "true" });
    await waitFor(() => cluster.openWatchCount === 0 || undefined);
    await expectApiError(core.deleteNamespace({ name: "default" }), 403);
  });

  it("closes open watches and connections on close()", async () => {
    const { kc, cluster } = await startCluster();
    let ended = false;
    await new Watch(kc).watch(
      "/apis/apps/v1/deployments",
      {},
      () => {},
      () => {
        ended = true;
      },
    );
    await waitFor(() => cluster.openWatchCount === 1 || undefined);
    await cluster.close();
    await waitFor(() => ended || undefined);
    expect(cluster.openWatchCount).toBe(0);
  });
});
