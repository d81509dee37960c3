import { KubeConfig, type KubernetesObject, KubernetesObjectApi, PatchStrategy } from "@kubernetes/client-node";
import {
  SIM_ERROR_RATE_ANNOTATION,
  SIM_REQUESTS_PER_SECOND_ANNOTATION,
  versionedServiceManifests,
} from "@sentra/satellite";
import { freePort, type RunningPrometheus, startPrometheus, type TestNamespace } from "@sentra/testkit";
import { type SatelliteProcess, startSatelliteProcess } from "./estate-processes.js";

/** The service under rollout in a guarded satellite's simulated cluster: `checkout` in `shop`. */
export const GUARDED_SERVICE = { namespace: "shop", service: "checkout" } as const;

/** Options of {@link startGuardedSatellite}. */
export interface GuardedSatelliteOptions {
  /** Share of checkout v2's requests that fail from the start. @default 0 */
  readonly v2ErrorRate?: number;
  /** More satellite environment (e.g. `NATS_URL` of a private server). */
  readonly env?: Readonly<Record<string, string>>;
}

/** A real satellite process ready to guard a canary of checkout, with its own Prometheus. */
export interface GuardedSatellite {
  readonly satellite: SatelliteProcess;
  readonly satelliteId: string;
  readonly prometheus: RunningPrometheus;
  /** The simulated cluster's API server URL (for a kubeconfig, e.g. to run the real kubectl). */
  readonly clusterUrl: string;
  /** A client of the satellite's simulated cluster (its Kubernetes API), as a person with kubectl. */
  readonly objects: KubernetesObjectApi;
  /** The checkout HTTPRoute's backend weights, by backend, read from the simulated cluster. */
  routeWeights(): Promise<Record<string, number>>;
  /** Sets a checkout version's error rate at run time (`sentra.io/sim-error-rate`, a merge patch). */
  setErrorRate(version: string, errorRate: number): Promise<void>;
}

/**
 * Starts a satellite process (simulated cluster with 200 requests/s of traffic) and a real
 * Prometheus scraping its `/metrics/workloads` every second, as the demo does, then deploys
 * checkout v1 (live) and v2 (the release, 3 replicas each) through the cluster's Kubernetes API and
 * waits until Prometheus has v1's requests.
 */
export async function startGuardedSatellite(
  namespace: TestNamespace,
  cloud: string,
  region: string,
  options: GuardedSatelliteOptions = {},
): Promise<GuardedSatellite> {
  // The satellite must know its Prometheus URL before Prometheus knows the satellite's ops URL.
  const prometheusPort = await freePort();
  const satellite = await startSatelliteProcess(namespace, cloud, region, {
    SENTRA_PROMETHEUS_URL: `http://127.0.0.1:${prometheusPort}`,
    SENTRA_SIM_TRAFFIC_RPS: "200",
    SENTRA_SIM_READINESS_DELAY_MS: "100",
    ...options.env,
  });
  const prometheus = await startPrometheus({
    targets: [`${satellite.opsUrl}/metrics/workloads`],
    port: prometheusPort,
  });
  namespace.defer(() => prometheus.dispose());
  const started = JSON.parse(
    satellite.process
      .output()
      .split("\n")
      .find((line) => line.includes('"simulated cluster started"')) ?? "{}",
  ) as { url: string };

  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: "sim", server: started.url, skipTLSVerify: true }],
    users: [{ name: "test", token: "test" }],
    contexts: [{ name: "sim", cluster: "sim", user: "test" }],
    currentContext: "sim",
  });
  const objects = KubernetesObjectApi.makeApiClient(kubeConfig);
  // The demo's catalog service sends 100 real requests/s that no test here looks at: CPU for nothing.
  await objects.patch(
    {
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "HTTPRoute",
      metadata: { name: "catalog", namespace: "default", annotations: { [SIM_REQUESTS_PER_SECOND_ANNOTATION]: "0" } },
    },
    undefined,
    undefined,
    undefined,
    undefined,
    PatchStrategy.MergePatch,
  );
  const { namespace: shop, service } = GUARDED_SERVICE;
  await objects.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: shop } });
  for (const manifest of versionedServiceManifests({
    namespace: shop,
    service,
    versions: [
      { version: "v1", replicas: 3 },
      { version: "v2", replicas: 3, errorRate: options.v2ErrorRate ?? 0 },
    ],
  })) {
    await objects.create(manifest as KubernetesObject);
  }
  await prometheus.waitForValue(`sum(http_requests_total{service="${service}",version="v1"})`, 30_000);

  return {
    satellite,
    satelliteId: satellite.satelliteId,
    prometheus,
    clusterUrl: started.url,
    objects,
    async routeWeights() {
      const route = (await objects.read({
        apiVersion: "gateway.networking.k8s.io/v1",
        kind: "HTTPRoute",
        metadata: { name: service, namespace: shop },
      })) as KubernetesObject & { spec: { rules: { backendRefs: { name: string; weight: number }[] }[] } };
      return Object.fromEntries(route.spec.rules[0]?.backendRefs.map((ref) => [ref.name, ref.weight]) ?? []);
    },
    async setErrorRate(version, errorRate) {
      await objects.patch(
        {
          apiVersion: "apps/v1",
          kind: "Deployment",
          metadata: {
            name: `${service}-${version}`,
            namespace: shop,
            annotations: { [SIM_ERROR_RATE_ANNOTATION]: String(errorRate) },
          },
        },
        undefined,
        undefined,
        undefined,
        undefined,
        PatchStrategy.MergePatch,
      );
    },
  };
}
