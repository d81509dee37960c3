import {
  ApiException,
  AppsV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1Deployment,
  Watch,
} from "@kubernetes/client-node";
import { afterEach, describe, expect, it } from "vitest";
import { minReadyReplicas } from "./replica-timeline.js";
import { SimulatedCluster } from "./simulated-cluster.js";

const opened: SimulatedCluster[] = [];

async function startCluster(readinessDelayMs = 200) {
  const cluster = await SimulatedCluster.start({ name: "failures", readinessDelayMs, seed: "demo" });
  opened.push(cluster);
  const kc = new KubeConfig();
  kc.loadFromString(cluster.kubeconfigYaml());
  return { cluster, kc, apps: kc.makeApiClient(AppsV1Api) };
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

async function errorCode(promise: Promise<unknown>): Promise<number | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error: unknown) {
    return error instanceof ApiException ? error.code : -1;
  }
}

async function request(
  cluster: SimulatedCluster,
  method: string,
  path: string,
  body?: string,
  contentType = "application/json",
) {
  const response = await fetch(`${cluster.url}${path}`, {
    method,
    headers: body === undefined ? {} : { "Content-Type": contentType },
    body,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

afterEach(async () => {
  await Promise.all(opened.splice(0).map((cluster) => cluster.close()));
});

describe("injected failures", () => {
  it("fails the next N matching requests, then serves again", async () => {
    const { cluster, apps } = await startCluster();
    cluster.failRequests({ method: "GET", pathPattern: "/deployments/checkout-api$", status: 503, times: 2 });
    const read = () => apps.readNamespacedDeployment({ name: "checkout-api", namespace: "default" });
    expect(await errorCode(apps.listNamespacedDeployment({ namespace: "default" }))).toBeUndefined();
    expect(await errorCode(read())).toBe(503);
    expect(await errorCode(read())).toBe(503);
    expect(await errorCode(read())).toBeUndefined();

    cluster.failRequests({ method: "PATCH", status: 500, times: "always", message: "etcd is on fire" });
    const patch = () =>
      apps.patchNamespacedDeploymentScale({
        name: "checkout-api",
        namespace: "default",
        body: [{ op: "replace", path: "/spec/replicas", value: 4 }],
      });
    expect(await errorCode(patch())).toBe(500);
    expect(await errorCode(patch())).toBe(500);
    expect(cluster.failures().requestFailures).toHaveLength(1);
    cluster.clearFailures();
    expect(await errorCode(patch())).toBeUndefined();
    expect(cluster.getDeployment("default", "checkout-api")?.spec.replicas).toBe(4);
  });

  it("makes the API unreachable (503 or dropped connections) and cuts open watches", async () => {
    const { cluster, apps, kc } = await startCluster();
    let watchEnded = false;
    await new Watch(kc).watch(
      "/apis/apps/v1/deployments",
      {},
      () => {},
      () => {
        watchEnded = true;
      },
    );
    await waitFor(() => cluster.openWatchCount === 1 || undefined);

    cluster.unreachable(true);
    await waitFor(() => watchEnded || undefined);
    expect(await errorCode(apps.listNamespacedDeployment({ namespace: "default" }))).toBe(503);
    // The admin endpoints stay up, so another process can restore the cluster.
    expect((await request(cluster, "GET", "/sentra-sim/v1/failures")).body.unreachable).toBe("status");

    cluster.unreachable("drop");
    await expect(fetch(`${cluster.url}/apis/apps/v1/deployments`)).rejects.toThrow();
    expect(await errorCode(apps.listNamespacedDeployment({ namespace: "default" }))).toBe(-1);

    cluster.unreachable(false);
    expect((await apps.listNamespacedDeployment({ namespace: "default" })).items).toHaveLength(6);
  });

  it("holds readiness below desired and records it in the timeline", async () => {
    const { cluster, apps } = await startCluster(150);
    expect(cluster.failReadiness("default", "checkout-api")).toEqual({
      namespace: "default",
      name: "checkout-api",
      maxReady: 3,
    });
    const startedAt = performance.timeOrigin + performance.now();
    await apps.patchNamespacedDeployment(
      { name: "checkout-api", namespace: "default", body: { spec: { replicas: 6 } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    await waitFor(
      () => cluster.getDeployment("default", "checkout-api")?.status?.observedGeneration === 2 || undefined,
    );
    await sleep(300);
    const held = cluster.getDeployment("default", "checkout-api");
    expect(held?.status).toMatchObject({ replicas: 6, readyReplicas: 3, unavailableReplicas: 3 });
    expect(held?.status?.conditions?.find((c) => c.type === "Available")?.status).toBe("False");

    cluster.clearFailures();
    await waitFor(() => cluster.getDeployment("default", "checkout-api")?.status?.readyReplicas === 6 || undefined);

    const timeline = cluster.timeline("default", "checkout-api");
    expect(timeline.map(({ desired, ready }) => ({ desired, ready }))).toEqual([
      { desired: 3, ready: 3 },
      { desired: 6, ready: 3 },
      { desired: 6, ready: 6 },
    ]);
    expect(timeline.every((point, i) => i === 0 || point.atMs >= (timeline[i - 1]?.atMs ?? 0))).toBe(true);
    expect(minReadyReplicas(timeline, { fromMs: startedAt })).toBe(3);
  });

  it("records deletion as zero capacity", async () => {
    const { cluster, apps } = await startCluster();
    await apps.deleteNamespacedDeployment({ name: "payments-worker", namespace: "default" });
    expect(cluster.timeline("default", "payments-worker").at(-1)).toMatchObject({ desired: 0, ready: 0 });
  });
});

describe("admin HTTP endpoints", () => {
  it("inject and clear failures, read timelines and change the readiness delay", async () => {
    const { cluster } = await startCluster(5000);
    const info = await request(cluster, "GET", "/sentra-sim/v1/info");
    expect(info.body).toMatchObject({ name: "failures", url: cluster.url, readinessDelayMs: 5000 });

    const delay = await request(
      cluster,
      "PUT",
      "/sentra-sim/v1/readiness-delay",
      JSON.stringify({ readinessDelayMs: 50 }),
    );
    expect(delay.body).toEqual({ readinessDelayMs: 50 });
    expect(cluster.readinessDelayMs).toBe(50);

    const failReadiness = await request(
      cluster,
      "POST",
      "/sentra-sim/v1/failures",
      JSON.stringify({ type: "failReadiness", namespace: "default", name: "search-indexer", maxReady: 1 }),
    );
    expect(failReadiness.status).toBe(201);
    const failGets = await request(
      cluster,
      "POST",
      "/sentra-sim/v1/failures",
      JSON.stringify({
        type: "failRequests",
        method: "GET",
        pathPattern: "^/apis/apps/v1/namespaces/default/deployments$",
        status: 429,
      }),
    );
    expect(failGets.body.applied).toMatchObject({ status: 429, remaining: 1 });
    expect((await request(cluster, "GET", "/apis/apps/v1/namespaces/default/deployments")).body).toMatchObject({
      kind: "Status",
      code: 429,
      reason: "TooManyRequests",
    });
    expect((await request(cluster, "GET", "/apis/apps/v1/namespaces/default/deployments")).status).toBe(200);

    await request(
      cluster,
      "PATCH",
      "/apis/apps/v1/namespaces/default/deployments/search-indexer/scale",
      JSON.stringify({ spec: { replicas: 4 } }),
      "application/merge-patch+json",
    );
    await waitFor(() => cluster.getDeployment("default", "search-indexer")?.status?.replicas === 4 || undefined);
    expect(cluster.getDeployment("default", "search-indexer")?.status?.readyReplicas).toBe(1);

    const timeline = await request(cluster, "GET", "/sentra-sim/v1/timeline?namespace=default&name=search-indexer");
    expect((timeline.body.points as { desired: number; ready: number }[]).map((p) => [p.desired, p.ready])).toEqual([
      [2, 2],
      [4, 2],
      [4, 1],
    ]);

    const unreachable = await request(
      cluster,
      "POST",
      "/sentra-sim/v1/failures",
      JSON.stringify({ type: "unreachable", enabled: true }),
    );
    expect((unreachable.body.failures as { unreachable: string }).unreachable).toBe("status");
    expect((await request(cluster, "GET", "/api/v1/namespaces")).status).toBe(503);

    const cleared = await request(cluster, "DELETE", "/sentra-sim/v1/failures");
    expect(cleared.body).toEqual({ readiness: [], requestFailures: [], unreachable: null });
    expect((await request(cluster, "GET", "/api/v1/namespaces")).status).toBe(200);
    await waitFor(() => cluster.getDeployment("default", "search-indexer")?.status?.readyReplicas === 4 || undefined);
  });

  it("rejects bad admin requests with a Status", async () => {
    const { cluster } = await startCluster();
    expect((await request(cluster, "POST", "/sentra-sim/v1/failures", "{nope")).status).toBe(400);
    const invalid = await request(
      cluster,
      "POST",
      "/sentra-sim/v1/failures",
      JSON.stringify({ type: "failRequests", status: 200 }),
    );
    expect(invalid).toMatchObject({ status: 400, body: { kind: "Status", reason: "BadRequest" } });
    expect((await request(cluster, "GET", "/sentra-sim/v1/timeline")).status).toBe(400);
    expect((await request(cluster, "GET", "/sentra-sim/v1/nothing")).status).toBe(404);
  });
});

describe("malformed requests", () => {
  it("answer 400/415/422 Status objects and the server keeps serving", async () => {
    const { cluster, apps } = await startCluster();
    const base = "/apis/apps/v1/namespaces/default/deployments";
    const bad = [
      await request(cluster, "POST", base, "{not json"),
      await request(cluster, "PUT", `${base}/checkout-api`, '{"spec":'),
      await request(cluster, "PATCH", `${base}/checkout-api`, "[{", "application/json-patch+json"),
      await request(cluster, "PATCH", `${base}/checkout-api/scale`, "nope", "application/merge-patch+json"),
      await request(cluster, "PATCH", `${base}/checkout-api`, '{"op":"add"}', "application/json-patch+json"),
      await request(cluster, "POST", base, "[1,2,3]"),
    ];
    for (const response of bad) {
      expect(response).toMatchObject({
        status: 400,
        body: { kind: "Status", apiVersion: "v1", status: "Failure", code: 400 },
      });
    }
    const unsupported = await request(cluster, "PATCH", `${base}/checkout-api`, "{}", "application/apply-patch+yaml");
    expect(unsupported.status).toBe(415);
    const failedOp = await request(
      cluster,
      "PATCH",
      `${base}/checkout-api`,
      JSON.stringify([{ op: "remove", path: "/spec/nothing/here" }]),
      "application/json-patch+json",
    );
    expect(failedOp.status).toBe(422);
    const invalidScale = await request(
      cluster,
      "PUT",
      `${base}/checkout-api/scale`,
      JSON.stringify({ spec: { replicas: -2 } }),
    );
    expect(invalidScale).toMatchObject({ status: 422, body: { reason: "Invalid" } });
    expect((await request(cluster, "GET", `${base}/missing`)).body).toMatchObject({ code: 404, reason: "NotFound" });
    expect((await request(cluster, "GET", "/apis/apps/v1/namespaces/default/widgets")).status).toBe(404);
    expect((await request(cluster, "GET", "/openapi/v2")).status).toBe(404);
    expect((await request(cluster, "GET", `${base}?labelSelector=${encodeURIComponent("a=(")}`)).status).toBe(400);

    const list = await apps.listNamespacedDeployment({ namespace: "default" });
    expect(list.items.map((d: V1Deployment) => d.metadata?.name)).toContain("checkout-api");
    expect(cluster.getDeployment("default", "checkout-api")?.spec.replicas).toBe(3);
  });
});
