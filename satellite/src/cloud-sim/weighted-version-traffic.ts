import { DEPLOYMENT_RESOURCE, type DeploymentObject } from "../cluster/sim/deployment-kind.js";
import { HTTP_ROUTE_RESOURCE, type HttpRouteObject } from "../cluster/sim/http-route-kind.js";
import type { KubeObject } from "../cluster/sim/kube-object.js";
import { ObjectStore } from "../cluster/sim/object-store.js";
import type { ResourceRef } from "../cluster/sim/resource-kind.js";
import { SERVICE_RESOURCE, type ServiceObject } from "../cluster/sim/service-kind.js";
import { SimulatedTraffic } from "../cluster/sim/simulated-traffic.js";
import { SIM_ERROR_RATE_ANNOTATION, SIM_LATENCY_ANNOTATION } from "../cluster/sim/workload-server.js";

/** How one version of a simulated cloud service answers. */
export interface VersionBehaviour {
  /** Share of requests answered with a 500, 0–1. @default 0 */
  readonly errorRate?: number;
  /** Median request duration, in ms. @default DEFAULT_SIM_LATENCY_MS (40) */
  readonly latencyMs?: number;
}

/** One version behind an entry point: the `service` and `version` labels of its metrics, and its share. */
export interface WeightedVersion {
  readonly service: string;
  readonly version: string;
  /** Relative share of the rule's requests (any non-negative number; 0 sends nothing). */
  readonly weight: number;
}

/** Options of {@link WeightedVersionTraffic}. */
export interface WeightedVersionTrafficOptions {
  /** Requests per second through each entry point. */
  readonly requestsPerSecond: number;
  /** @default DEFAULT_TRAFFIC_TICK_MS (100) — how often the requests due are sent, in ms. */
  readonly tickMs?: number;
}

/** Namespace of the mirrored objects (never seen outside this class). */
const MIRROR_NAMESPACE = "cloud-sim";
const SERVICE_LABEL = "app.kubernetes.io/name";
const VERSION_LABEL = "app.kubernetes.io/version";

/**
 * The per-version traffic of a simulated cloud endpoint (a Lambda alias, an ALB listener, a Cloud
 * Run service…), served by the simulated cluster's own traffic model rather than a copy of it: the
 * weights of each entry point are mirrored into a private store as an HTTPRoute whose backends are
 * one Service and one always-ready Deployment per version, and {@link SimulatedTraffic} sends real
 * HTTP requests to each version's `WorkloadServer` in those proportions (smooth weighted
 * round-robin, exact over time). The metrics are the ones the built-in gates read:
 * `http_requests_total{service, version, code}` and `http_request_duration_seconds{service, version}`.
 *
 * An entry point has rules that take turns (a listener's default action and its rules); each rule
 * splits its requests by its versions' weights.
 */
export class WeightedVersionTraffic {
  readonly #store = new ObjectStore({ historySize: 16 });
  readonly #traffic: SimulatedTraffic;
  readonly #behaviours = new Map<string, VersionBehaviour>();

  constructor(options: WeightedVersionTrafficOptions) {
    this.#traffic = new SimulatedTraffic(this.#store, {
      requestsPerSecond: options.requestsPerSecond,
      ...(options.tickMs === undefined ? {} : { tickMs: options.tickMs }),
    });
  }

  /** Sets (replaces) the rules of one entry point; an empty list stops its traffic. */
  setEntry(entry: string, rules: readonly (readonly WeightedVersion[])[]): void {
    for (const version of rules.flat()) this.#ensureVersion(version.service, version.version);
    const name = mirrorName("entry", entry);
    const route: HttpRouteObject = {
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "HTTPRoute",
      metadata: { namespace: MIRROR_NAMESPACE, name },
      spec: {
        rules: rules.map((rule) => ({
          backendRefs: rule.map((version) => ({
            name: mirrorName("svc", `${version.service}\u0000${version.version}`),
            weight: Math.max(0, version.weight),
          })),
        })),
      },
    };
    this.#put(HTTP_ROUTE_RESOURCE, route);
  }

  /** Removes an entry point: its traffic stops. */
  deleteEntry(entry: string): void {
    this.#store.delete(HTTP_ROUTE_RESOURCE, MIRROR_NAMESPACE, mirrorName("entry", entry));
  }

  /** Changes how one version answers, for the requests that arrive from now on. */
  setBehaviour(service: string, version: string, behaviour: VersionBehaviour): void {
    this.#behaviours.set(`${service}\u0000${version}`, behaviour);
    this.#put(DEPLOYMENT_RESOURCE, this.#deployment(service, version));
  }

  /** Every version's metrics in the Prometheus text format (what Prometheus scrapes). */
  metrics(): Promise<string> {
    return this.#traffic.metrics();
  }

  /** Content type of {@link metrics}. */
  get contentType(): string {
    return this.#traffic.contentType;
  }

  /** Sends the requests due now (the timer does this; tests may call it). */
  tick(nowMs?: number): Promise<void> {
    return this.#traffic.tick(nowMs);
  }

  /** Stops the traffic and closes every version's server. Idempotent. */
  close(): Promise<void> {
    return this.#traffic.close();
  }

  #ensureVersion(service: string, version: string): void {
    const key = `${service}\u0000${version}`;
    const serviceName = mirrorName("svc", key);
    if (this.#store.get(SERVICE_RESOURCE, MIRROR_NAMESPACE, serviceName) !== undefined) return;
    const selector = { [SERVICE_LABEL]: service, [VERSION_LABEL]: version };
    const backend: ServiceObject = {
      apiVersion: "v1",
      kind: "Service",
      metadata: { namespace: MIRROR_NAMESPACE, name: serviceName },
      spec: { selector },
    };
    this.#store.create(SERVICE_RESOURCE, backend);
    this.#put(DEPLOYMENT_RESOURCE, this.#deployment(service, version));
  }

  #deployment(service: string, version: string): DeploymentObject {
    const behaviour = this.#behaviours.get(`${service}\u0000${version}`) ?? {};
    const annotations: Record<string, string> = {};
    if (behaviour.errorRate !== undefined) annotations[SIM_ERROR_RATE_ANNOTATION] = String(behaviour.errorRate);
    if (behaviour.latencyMs !== undefined) annotations[SIM_LATENCY_ANNOTATION] = String(behaviour.latencyMs);
    return {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { namespace: MIRROR_NAMESPACE, name: mirrorName("deploy", `${service}\u0000${version}`), annotations },
      spec: {
        replicas: 1,
        template: { metadata: { labels: { [SERVICE_LABEL]: service, [VERSION_LABEL]: version } } },
      },
      status: { replicas: 1, readyReplicas: 1, availableReplicas: 1 },
    };
  }

  #put(ref: ResourceRef, object: KubeObject): void {
    const { namespace = MIRROR_NAMESPACE, name = "" } = object.metadata;
    if (this.#store.get(ref, namespace, name) === undefined) this.#store.create(ref, object);
    else this.#store.update(ref, object);
  }
}

/** A private object name for any key (cloud names and ARNs are not Kubernetes names). */
function mirrorName(prefix: string, key: string): string {
  return `${prefix}-${Buffer.from(key).toString("hex")}`;
}
