import type { DeploymentObject } from "./deployment-kind.js";
import type { VersionedServiceOptions } from "./versioned-service-manifests.js";

/** Annotation giving the GB of state a migration of the workload has to transfer. */
export const STATE_GB_ANNOTATION = "sentra.io/state-gb";

/** Namespace seeds go to when neither the seed nor the caller names one. @default "default" */
export const DEFAULT_SEED_NAMESPACE = "default";

/** A compact description of a Deployment to seed a simulated cluster with. */
export interface DeploymentSeed {
  name: string;
  /** @default the caller's namespace, else DEFAULT_SEED_NAMESPACE */
  namespace?: string;
  replicas: number;
  /** Image without tag; the tag is `version`. */
  image: string;
  version: string;
  /** CPU request per replica (`500m`). */
  cpu: string;
  /** Memory request per replica (`512Mi`). */
  memory: string;
  /** GB of state a migration transfers; written as the `sentra.io/state-gb` annotation. */
  stateGb?: number;
  /** Container port. @default 8080 */
  port?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** Named seed sets: `demo` is a small shop, `minimal` a single service. */
export type SeedSet = "demo" | "minimal";

/** The demo estate: a few services of an online shop, with realistic requests and state sizes. */
export const DEMO_DEPLOYMENT_SEEDS: readonly DeploymentSeed[] = Object.freeze([
  {
    name: "checkout-api",
    replicas: 3,
    image: "ghcr.io/sentra-demo/checkout-api",
    version: "2.14.1",
    cpu: "500m",
    memory: "512Mi",
  },
  {
    name: "payments-worker",
    replicas: 2,
    image: "ghcr.io/sentra-demo/payments-worker",
    version: "1.9.0",
    cpu: "250m",
    memory: "384Mi",
    stateGb: 2,
  },
  {
    name: "search-indexer",
    replicas: 2,
    image: "ghcr.io/sentra-demo/search-indexer",
    version: "3.2.4",
    cpu: "1",
    memory: "2Gi",
    stateGb: 40,
  },
  {
    name: "recommendation-model",
    replicas: 2,
    image: "ghcr.io/sentra-demo/recommendation-model",
    version: "0.31.0",
    cpu: "4",
    memory: "16Gi",
    stateGb: 12,
    port: 8500,
  },
  {
    name: "ledger-db-proxy",
    replicas: 2,
    image: "ghcr.io/sentra-demo/ledger-db-proxy",
    version: "1.4.2",
    cpu: "200m",
    memory: "128Mi",
    stateGb: 0.5,
    port: 6432,
  },
  {
    name: "storefront-web",
    replicas: 4,
    image: "ghcr.io/sentra-demo/storefront-web",
    version: "5.0.3",
    cpu: "100m",
    memory: "128Mi",
    port: 3000,
  },
]);

/**
 * The demo's service ready for a canary: `catalog` v1 (live, behind the HTTPRoute `catalog`) and
 * v2 (deployed, no traffic yet), a Service per version, in namespace `default`. 100 simulated
 * requests per second go through its route, so the default policy's first step (5 %) already has
 * 150 requests per 30 s window — over the built-in gates' minimum sample of 50.
 * `StartRollout { service: catalog, stable_version: v1, canary_version: v2 }` works as it is.
 */
export const DEMO_ROLLOUT_SERVICE: VersionedServiceOptions = Object.freeze({
  namespace: DEFAULT_SEED_NAMESPACE,
  service: "catalog",
  versions: Object.freeze([
    { version: "v1", replicas: 3 },
    { version: "v2", replicas: 3 },
  ]),
  requestsPerSecond: 100,
});

/** Options of `seedDeployments`. */
export interface SeedOptions {
  /** A named set or explicit seeds. @default "demo" */
  set?: SeedSet | readonly DeploymentSeed[];
  /** Namespace for seeds that do not name one. @default DEFAULT_SEED_NAMESPACE */
  namespace?: string;
  /** Keep only these names. */
  names?: readonly string[];
}

/** The seeds of a named set. */
export function seedSet(set: SeedSet): DeploymentSeed[] {
  switch (set) {
    case "demo":
      return DEMO_DEPLOYMENT_SEEDS.map((seed) => ({ ...seed }));
    case "minimal":
      return DEMO_DEPLOYMENT_SEEDS.filter((seed) => seed.name === "checkout-api").map((seed) => ({ ...seed }));
  }
}

/** A few realistic Deployment manifests (CPU/memory requests, labels, state size) for a demo cluster. */
export function seedDeployments(options: SeedOptions = {}): DeploymentObject[] {
  const set = options.set ?? "demo";
  const seeds = typeof set === "string" ? seedSet(set) : [...set];
  return seeds
    .filter((seed) => !options.names || options.names.includes(seed.name))
    .map((seed) => deploymentManifest(seed, options.namespace));
}

/** The Deployment manifest of one seed. */
export function deploymentManifest(seed: DeploymentSeed, namespace = DEFAULT_SEED_NAMESPACE): DeploymentObject {
  const labels = {
    app: seed.name,
    "app.kubernetes.io/name": seed.name,
    "app.kubernetes.io/version": seed.version,
    ...seed.labels,
  };
  const annotations: Record<string, string> = { ...seed.annotations };
  if (seed.stateGb !== undefined) annotations[STATE_GB_ANNOTATION] = String(seed.stateGb);
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: {
      name: seed.name,
      namespace: seed.namespace ?? namespace,
      labels,
      ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
    },
    spec: {
      replicas: seed.replicas,
      selector: { matchLabels: { app: seed.name } },
      template: {
        metadata: { labels },
        spec: {
          containers: [
            {
              name: seed.name,
              image: `${seed.image}:${seed.version}`,
              ports: [{ name: "http", containerPort: seed.port ?? 8080, protocol: "TCP" }],
              resources: { requests: { cpu: seed.cpu, memory: seed.memory } },
            },
          ],
        },
      },
    },
  };
}
