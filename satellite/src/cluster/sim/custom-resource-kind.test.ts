import {
  CustomObjectsApi,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
} from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { releasePolicyCrd } from "../../gitops/release-policy-crd.js";
import type { CustomResourceDefinition } from "./custom-resource-kind.js";
import { SimulatedCluster } from "./simulated-cluster.js";

describe("a CRD served by the simulated cluster", () => {
  let cluster: SimulatedCluster;
  let api: KubernetesObjectApi;
  const base = { apiVersion: "sentra.io/v1alpha1", kind: "ReleasePolicy" };

  beforeAll(async () => {
    cluster = await SimulatedCluster.start({
      name: "crd-test",
      namespaces: ["shop"],
      customResourceDefinitions: [releasePolicyCrd() as unknown as CustomResourceDefinition],
    });
    const config = new KubeConfig();
    config.loadFromString(cluster.kubeconfigYaml({ contextName: "crd-test" }));
    api = KubernetesObjectApi.makeApiClient(config);
  });
  afterAll(async () => {
    await cluster?.close();
  });

  it("prunes unknown fields, refuses what the schema forbids naming the field, and keeps status to its subresource", async () => {
    const created = (await api.create({
      ...base,
      metadata: { name: "cart", namespace: "shop" },
      spec: { targetRef: { name: "cart" }, colour: "red", policy: { anything: { goes: 1 } } },
      status: { phase: "Forged" },
    } as never)) as { spec: Record<string, unknown>; status?: unknown };
    expect(created.spec).toEqual({ targetRef: { name: "cart" }, policy: { anything: { goes: 1 } } });
    expect(created.status).toBeUndefined();

    const refuse = (spec: unknown) =>
      api.create({
        ...base,
        metadata: { name: `bad-${Math.random().toString(36).slice(2, 8)}`, namespace: "shop" },
        spec,
      } as never);
    await expect(refuse({})).rejects.toThrow(/spec\.targetRef: Required value/);
    await expect(refuse({ targetRef: { name: "Cart" } })).rejects.toThrow(/spec\.targetRef\.name: Invalid value/);
    await expect(refuse({ targetRef: { name: "cart" }, trafficRouter: "pigeon" })).rejects.toThrow(
      /spec\.trafficRouter: Unsupported value/,
    );
    await expect(refuse({ targetRef: { name: "cart" }, replicas: 0 })).rejects.toThrow(
      /spec\.replicas: .*greater than or equal to 1/,
    );

    const config = new KubeConfig();
    config.loadFromString(cluster.kubeconfigYaml({ contextName: "crd-test" }));
    const custom = config.makeApiClient(CustomObjectsApi);
    await custom.patchNamespacedCustomObjectStatus(
      {
        group: "sentra.io",
        version: "v1alpha1",
        plural: "releasepolicies",
        namespace: "shop",
        name: "cart",
        body: { status: { phase: "Promoted" }, spec: { suspend: true } },
      },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    const read = (await api.read({ ...base, metadata: { name: "cart", namespace: "shop" } })) as {
      spec: Record<string, unknown>;
      status: { phase: string };
      metadata: { generation: number };
    };
    // The status write changed the status only; the spec is untouched and the generation too.
    expect(read.status).toEqual({ phase: "Promoted" });
    expect(read.spec.suspend).toBeUndefined();
    expect(read.metadata.generation).toBe(1);
  });
});
