import type { DeploymentObject } from "./deployment-kind.js";
import type { HttpRouteObject } from "./http-route-kind.js";
import type { IngressObject } from "./ingress-kind.js";
import type { KubeObject } from "./kube-object.js";
import type { ServiceObject } from "./service-kind.js";
import { SIM_REQUESTS_PER_SECOND_ANNOTATION } from "./simulated-traffic.js";
import type { VirtualServiceObject } from "./virtual-service-kind.js";
import { SIM_ERROR_RATE_ANNOTATION, SIM_LATENCY_ANNOTATION } from "./workload-server.js";

/** The kinds of route object a service can be reached through, one per traffic router. */
export type RouteKind = "HTTPRoute" | "VirtualService" | "Ingress";

/** One version of a service: a Deployment `<service>-<version>` and its behaviour under traffic. */
export interface ServiceVersionSeed {
  readonly version: string;
  readonly replicas: number;
  /** Share of requests answered with a 500. @default 0 */
  readonly errorRate?: number;
  /** Median request duration, in ms. @default the simulation's */
  readonly latencyMs?: number;
}

/** Options of {@link versionedServiceManifests}. */
export interface VersionedServiceOptions {
  readonly namespace: string;
  readonly service: string;
  readonly versions: readonly ServiceVersionSeed[];
  /**
   * What the routes `<service>` send traffic to: `versioned` — the first version's own Service
   * (what the Gateway API, Istio and NGINX routers split), `shared` — the Service `<service>` in
   * front of every version (what the replica-ratio router splits), `none` — no route.
   * @default "versioned"
   */
  readonly route?: "versioned" | "shared" | "none";
  /**
   * Which route objects named `<service>` to create: a Gateway API HTTPRoute (rule `/`), an Istio
   * VirtualService (host `<service>`, one HTTP route) and/or an Ingress (class `nginx`, path `/`).
   * Each is an entry point of simulated traffic. @default ["HTTPRoute"]
   */
  readonly routeKinds?: readonly RouteKind[];
  /** Simulated requests per second through each route (`sentra.io/sim-requests-per-second`). @default the cluster's rate */
  readonly requestsPerSecond?: number;
  /** Container port. @default 8080 */
  readonly port?: number;
}

/**
 * The objects of a service under rollout, named as `StartRollout` expects: per version a Deployment
 * and a Service `<service>-<version>`; a Service `<service>` selecting every version; and the
 * routes `<service>` (`routeKinds`, an HTTPRoute by default). Create them with
 * `SimulatedCluster.createObject`, the `services` option of `SimulatedCluster.start`, or the API.
 */
export function versionedServiceManifests(options: VersionedServiceOptions): KubeObject[] {
  const { namespace, service } = options;
  const port = options.port ?? 8080;
  const objects: KubeObject[] = [];
  for (const seed of options.versions) {
    const name = `${service}-${seed.version}`;
    const selector = { app: service, "app.kubernetes.io/version": seed.version };
    const labels = { ...selector, "app.kubernetes.io/name": service };
    const annotations: Record<string, string> = {};
    if (seed.errorRate !== undefined) annotations[SIM_ERROR_RATE_ANNOTATION] = String(seed.errorRate);
    if (seed.latencyMs !== undefined) annotations[SIM_LATENCY_ANNOTATION] = String(seed.latencyMs);
    const deployment: DeploymentObject = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name, namespace, labels, ...(Object.keys(annotations).length > 0 ? { annotations } : {}) },
      spec: {
        replicas: seed.replicas,
        selector: { matchLabels: selector },
        template: {
          metadata: { labels },
          spec: {
            containers: [
              {
                name: service,
                image: `ghcr.io/sentra-demo/${service}:${seed.version}`,
                ports: [{ name: "http", containerPort: port, protocol: "TCP" }],
                resources: { requests: { cpu: "100m", memory: "128Mi" } },
              },
            ],
          },
        },
      },
    };
    objects.push(deployment, serviceObject(namespace, name, selector, port));
  }
  objects.push(serviceObject(namespace, service, { app: service }, port));
  const route = options.route ?? "versioned";
  const first = options.versions[0];
  if (route !== "none" && first !== undefined) {
    const backend = route === "shared" ? service : `${service}-${first.version}`;
    const metadata = {
      name: service,
      namespace,
      ...(options.requestsPerSecond === undefined
        ? {}
        : { annotations: { [SIM_REQUESTS_PER_SECOND_ANNOTATION]: String(options.requestsPerSecond) } }),
    };
    for (const kind of options.routeKinds ?? ["HTTPRoute"]) objects.push(routeObject(kind, metadata, backend, port));
  }
  return objects;
}

function routeObject(kind: RouteKind, metadata: KubeObject["metadata"], backend: string, port: number): KubeObject {
  switch (kind) {
    case "HTTPRoute":
      return {
        apiVersion: "gateway.networking.k8s.io/v1",
        kind,
        metadata: structuredClone(metadata),
        spec: {
          parentRefs: [{ name: "public-gateway" }],
          rules: [
            {
              matches: [{ path: { type: "PathPrefix", value: "/" } }],
              backendRefs: [{ name: backend, port, weight: 100 }],
            },
          ],
        },
      } satisfies HttpRouteObject;
    case "VirtualService":
      return {
        apiVersion: "networking.istio.io/v1",
        kind,
        metadata: structuredClone(metadata),
        spec: {
          hosts: [String(metadata.name)],
          http: [{ name: "primary", route: [{ destination: { host: backend, port: { number: port } }, weight: 100 }] }],
        },
      } satisfies VirtualServiceObject;
    case "Ingress":
      return {
        apiVersion: "networking.k8s.io/v1",
        kind,
        metadata: structuredClone(metadata),
        spec: {
          ingressClassName: "nginx",
          rules: [
            {
              host: `${String(metadata.name)}.example.com`,
              http: {
                paths: [
                  { path: "/", pathType: "Prefix", backend: { service: { name: backend, port: { number: port } } } },
                ],
              },
            },
          ],
        },
      } satisfies IngressObject;
  }
}

function serviceObject(namespace: string, name: string, selector: Record<string, string>, port: number): ServiceObject {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace },
    spec: { selector, ports: [{ name: "http", port, targetPort: port, protocol: "TCP" }] },
  };
}
