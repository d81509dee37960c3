import { Counter, Histogram, Registry } from "prom-client";
import { DEPLOYMENT_RESOURCE, type DeploymentObject, readyReplicas } from "./deployment-kind.js";
import { HTTP_ROUTE_RESOURCE, type HttpRouteObject } from "./http-route-kind.js";
import {
  INGRESS_RESOURCE,
  type IngressBackend,
  type IngressObject,
  NGINX_CANARY_ANNOTATION,
  NGINX_CANARY_WEIGHT_ANNOTATION,
  NGINX_CANARY_WEIGHT_TOTAL_ANNOTATION,
} from "./ingress-kind.js";
import type { KubeObject } from "./kube-object.js";
import type { ObjectStore } from "./object-store.js";
import { SERVICE_RESOURCE, type ServiceObject } from "./service-kind.js";
import { serviceOfIstioHost, VIRTUAL_SERVICE_RESOURCE, type VirtualServiceObject } from "./virtual-service-kind.js";

/** Deployment annotation: share of the requests its pods answer with a 500, 0–1. @default 0 */
export const SIM_ERROR_RATE_ANNOTATION = "sentra.io/sim-error-rate";
/** Deployment annotation: median request duration of its pods, in ms. @default DEFAULT_SIM_LATENCY_MS */
export const SIM_LATENCY_ANNOTATION = "sentra.io/sim-latency-ms";
/** HTTPRoute, VirtualService or Ingress annotation: requests per second sent through it. @default the cluster's rate */
export const SIM_REQUESTS_PER_SECOND_ANNOTATION = "sentra.io/sim-requests-per-second";

/** @default 40 — median duration of a simulated request, in ms. */
export const DEFAULT_SIM_LATENCY_MS = 40;
/** @default 100 — how often simulated requests are generated, in ms. */
export const DEFAULT_TRAFFIC_TICK_MS = 100;

/** Histogram buckets of `http_request_duration_seconds`, in seconds (fine around the 400 ms gate). */
const DURATION_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5, 5];
/** Fractional part of the golden ratio: spreads request durations evenly without randomness. */
const GOLDEN_FRACTION = 0.618_033_988_749_895;

/** Options of the simulated traffic. */
export interface SimulatedTrafficOptions {
  /** Requests per second through each HTTPRoute (a route's annotation overrides it). */
  readonly requestsPerSecond: number;
  /** @default DEFAULT_TRAFFIC_TICK_MS */
  readonly tickMs?: number;
}

/**
 * The workloads' own traffic, so that a real Prometheus has something to judge a rollout by. Every
 * tick it sends the requests of each entry point — every Gateway API HTTPRoute, Istio
 * VirtualService and (non-canary) Ingress — to its backends in proportion to their weights (smooth
 * weighted round-robin, so the split is exact over time, as a gateway's is): HTTPRoute
 * `backendRefs` weights; VirtualService `http[].route[]` weights (a destination `host` is a Service:
 * `name` or `name.<ns>.svc.cluster.local`); for an Ingress path, the NGINX canary split — a canary
 * Ingress (`nginx.ingress.kubernetes.io/canary: "true"`) with the same host and path takes
 * `canary-weight` of `canary-weight-total` (100). Rules of one entry point take turns. A backend
 * Service resolves to the ready pods of the Deployments its selector matches, shared by ready
 * replicas — which is what the replica-ratio router relies on. The serving Deployment records the
 * request in the metrics the built-in gates read (docs/release-guard.md): `http_requests_total
 * {service, version, code}` and `http_request_duration_seconds{service, version}`, with `service`
 * and `version` from its `app.kubernetes.io/name` and `app.kubernetes.io/version` labels. Errors and
 * latency come from the Deployment's `sentra.io/sim-error-rate` and `sentra.io/sim-latency-ms`
 * annotations, deterministically (an error rate of 0.1 fails exactly every tenth request).
 * A backend without ready pods gets its share as gateway 503s (`sentra_sim_gateway_requests_total`),
 * as Envoy-based gateways answer "no healthy upstream"; the application never sees those.
 */
export class SimulatedTraffic {
  readonly registry = new Registry();
  readonly #store: ObjectStore;
  readonly #requestsPerSecond: number;
  readonly #tickMs: number;
  readonly #timer: NodeJS.Timeout;
  readonly #requests: Counter<"service" | "version" | "code">;
  readonly #durations: Histogram<"service" | "version">;
  readonly #gateway: Counter<"namespace" | "route" | "backend" | "code">;
  /** Fractional requests carried to the next tick, per route. */
  readonly #carry = new Map<string, number>();
  readonly #pickers = new Map<string, SmoothWeightedPicker>();
  /** Per Deployment: requests served (spreads durations) and the error accumulator. */
  readonly #served = new Map<string, { count: number; errorDebt: number }>();
  #lastTickMs = performance.now();
  /** Per tick: the ready Deployments behind each Service. */
  readonly #tickEndpoints = new Map<string, DeploymentObject[]>();

  constructor(store: ObjectStore, options: SimulatedTrafficOptions) {
    this.#store = store;
    this.#requestsPerSecond = options.requestsPerSecond;
    this.#tickMs = options.tickMs ?? DEFAULT_TRAFFIC_TICK_MS;
    this.#requests = new Counter({
      name: "http_requests_total",
      help: "Requests served by the simulated workloads",
      labelNames: ["service", "version", "code"],
      registers: [this.registry],
    });
    this.#durations = new Histogram({
      name: "http_request_duration_seconds",
      help: "Duration of the requests served by the simulated workloads",
      labelNames: ["service", "version"],
      buckets: DURATION_BUCKETS_SECONDS,
      registers: [this.registry],
    });
    this.#gateway = new Counter({
      name: "sentra_sim_gateway_requests_total",
      help: "Requests the simulated gateway sent to each backend, by the code the client saw",
      labelNames: ["namespace", "route", "backend", "code"],
      registers: [this.registry],
    });
    this.#timer = setInterval(() => this.tick(), this.#tickMs);
    this.#timer.unref();
  }

  /** Metrics in the Prometheus text format. */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** Sends the requests due since the last tick (called by the timer; tests may call it). */
  tick(nowMs = performance.now()): void {
    const elapsedSeconds = Math.max(0, nowMs - this.#lastTickMs) / 1000;
    this.#lastTickMs = nowMs;
    // Objects are read once per tick, not per request: the store hands out copies.
    this.#tickEndpoints.clear();
    for (const entry of this.#entries()) {
      const rate = Number(
        entry.object.metadata.annotations?.[SIM_REQUESTS_PER_SECOND_ANNOTATION] ?? this.#requestsPerSecond,
      );
      const due = (this.#carry.get(entry.key) ?? 0) + (Number.isFinite(rate) && rate > 0 ? rate : 0) * elapsedSeconds;
      // The epsilon keeps float error (999.9999…) from losing a whole request.
      const count = Math.floor(due + 1e-9);
      this.#carry.set(entry.key, Math.max(0, due - count));
      for (let index = 0; index < count; index++) this.#send(entry, index);
    }
  }

  close(): void {
    clearInterval(this.#timer);
  }

  /** Every entry point of traffic, with its rules resolved to weighted Service backends. */
  #entries(): TrafficEntry[] {
    const entries: TrafficEntry[] = [];
    for (const route of this.#store.list(HTTP_ROUTE_RESOURCE) as HttpRouteObject[]) {
      const namespace = route.metadata.namespace ?? "default";
      entries.push({
        key: `${route.metadata.namespace}/${route.metadata.name}`,
        object: route,
        rules: (route.spec.rules ?? []).map((rule) =>
          (rule.backendRefs ?? [])
            .filter((ref) => (ref.kind ?? "Service") === "Service")
            .map((ref) => ({ namespace: ref.namespace ?? namespace, service: ref.name, weight: ref.weight ?? 1 })),
        ),
      });
    }
    for (const service of this.#store.list(VIRTUAL_SERVICE_RESOURCE) as VirtualServiceObject[]) {
      const namespace = service.metadata.namespace ?? "default";
      entries.push({
        key: `virtualservice:${namespace}/${service.metadata.name}`,
        object: service,
        rules: (service.spec.http ?? []).map((http) => {
          const destinations = http.route ?? [];
          return destinations.flatMap((entry) => {
            const target = serviceOfIstioHost(entry.destination.host, namespace);
            // A single destination gets every request, whatever its weight.
            const weight = destinations.length === 1 ? 1 : (entry.weight ?? 0);
            return target === undefined ? [] : [{ namespace: target.namespace, service: target.name, weight }];
          });
        }),
      });
    }
    const ingresses = this.#store.list(INGRESS_RESOURCE) as IngressObject[];
    const isCanary = (ingress: IngressObject) => ingress.metadata.annotations?.[NGINX_CANARY_ANNOTATION] === "true";
    for (const ingress of ingresses.filter((candidate) => !isCanary(candidate))) {
      const namespace = ingress.metadata.namespace ?? "default";
      const canaries = ingresses.filter(
        (candidate) => isCanary(candidate) && (candidate.metadata.namespace ?? "default") === namespace,
      );
      const rules: WeightedBackend[][] = [];
      for (const rule of ingress.spec.rules ?? []) {
        for (const path of rule.http?.paths ?? []) {
          const primary = serviceBackend(path.backend, namespace);
          if (primary === undefined) continue;
          const canary = canaryBackend(canaries, rule.host, path.path);
          if (canary === undefined) {
            rules.push([{ ...primary, weight: 1 }]);
            continue;
          }
          const total = positiveInteger(
            canary.ingress.metadata.annotations?.[NGINX_CANARY_WEIGHT_TOTAL_ANNOTATION],
            100,
          );
          const weight = Math.min(
            total,
            positiveInteger(canary.ingress.metadata.annotations?.[NGINX_CANARY_WEIGHT_ANNOTATION], 0),
          );
          rules.push([
            { ...primary, weight: total - weight },
            { ...canary.backend, weight },
          ]);
        }
      }
      const fallback = ingress.spec.defaultBackend && serviceBackend(ingress.spec.defaultBackend, namespace);
      if (rules.length === 0 && fallback !== undefined) rules.push([{ ...fallback, weight: 1 }]);
      entries.push({ key: `ingress:${namespace}/${ingress.metadata.name}`, object: ingress, rules });
    }
    return entries;
  }

  #send(entry: TrafficEntry, index: number): void {
    const rules = entry.rules.filter((rule) => rule.length > 0);
    if (rules.length === 0) return;
    const ruleIndex = index % rules.length;
    const namespace = entry.object.metadata.namespace ?? "default";
    const backend = this.#picker(`${entry.key}#${ruleIndex}`).pick(
      (rules[ruleIndex] ?? []).map((ref) => ({ key: `${ref.namespace}/${ref.service}`, weight: ref.weight })),
    );
    if (backend === undefined) return;
    const [backendNamespace = namespace, serviceName = ""] = backend.split("/");
    const deployment = this.#endpoint(backendNamespace, serviceName);
    const gatewayLabels = { namespace, route: entry.object.metadata.name ?? "", backend: serviceName };
    if (deployment === undefined) {
      this.#gateway.inc({ ...gatewayLabels, code: "503" });
      return;
    }
    const code = this.#serve(deployment);
    this.#gateway.inc({ ...gatewayLabels, code });
  }

  /** The Deployment whose pod answers a request to a Service, chosen by ready replicas. */
  #endpoint(namespace: string, serviceName: string): DeploymentObject | undefined {
    const key = `${namespace}/${serviceName}`;
    let candidates = this.#tickEndpoints.get(key);
    if (candidates === undefined) {
      candidates = this.#readyEndpoints(namespace, serviceName);
      this.#tickEndpoints.set(key, candidates);
    }
    const chosen = this.#picker(`svc:${namespace}/${serviceName}`).pick(
      candidates.map((deployment) => ({ key: deployment.metadata.name ?? "", weight: readyReplicas(deployment) })),
    );
    return candidates.find((deployment) => deployment.metadata.name === chosen);
  }

  /** The Deployments with ready pods that a Service's selector matches (read once per tick). */
  #readyEndpoints(namespace: string, serviceName: string): DeploymentObject[] {
    const service = this.#store.get(SERVICE_RESOURCE, namespace, serviceName) as ServiceObject | undefined;
    const selector = service?.spec.selector;
    if (selector === undefined || Object.keys(selector).length === 0) return [];
    return (this.#store.list(DEPLOYMENT_RESOURCE, namespace) as DeploymentObject[]).filter((deployment) => {
      const labels = deployment.spec.template?.metadata?.labels ?? {};
      return Object.entries(selector).every(([key, value]) => labels[key] === value) && readyReplicas(deployment) > 0;
    });
  }

  /** Records one request served by a Deployment's pod; returns the status code. */
  #serve(deployment: DeploymentObject): string {
    const key = `${deployment.metadata.namespace}/${deployment.metadata.name}`;
    const state = this.#served.get(key) ?? { count: 0, errorDebt: 0 };
    this.#served.set(key, state);
    const annotations = deployment.metadata.annotations ?? {};
    const errorRate = clamp(Number(annotations[SIM_ERROR_RATE_ANNOTATION] ?? 0), 0, 1);
    const latencyMs = Math.max(0, Number(annotations[SIM_LATENCY_ANNOTATION] ?? DEFAULT_SIM_LATENCY_MS)) || 0;
    state.count += 1;
    state.errorDebt += errorRate;
    const failed = state.errorDebt >= 1 - 1e-9;
    if (failed) state.errorDebt -= 1;
    const code = failed ? "500" : "200";
    const labels = deployment.spec.template?.metadata?.labels ?? deployment.metadata.labels ?? {};
    const service = labels["app.kubernetes.io/name"] ?? labels.app ?? deployment.metadata.name ?? "";
    const version = labels["app.kubernetes.io/version"] ?? "";
    // Durations spread evenly over [0.5, 1.5) × the median: a realistic histogram, no randomness.
    const spread = 0.5 + ((state.count * GOLDEN_FRACTION) % 1);
    this.#requests.inc({ service, version, code });
    this.#durations.observe({ service, version }, (latencyMs * spread) / 1000);
    return code;
  }

  #picker(key: string): SmoothWeightedPicker {
    let picker = this.#pickers.get(key);
    if (picker === undefined) {
      picker = new SmoothWeightedPicker();
      this.#pickers.set(key, picker);
    }
    return picker;
  }
}

/** A Service backend of an entry point and its relative weight. */
interface WeightedBackend {
  readonly namespace: string;
  readonly service: string;
  readonly weight: number;
}

/** One entry point of traffic (HTTPRoute, VirtualService, primary Ingress) and its rules. */
interface TrafficEntry {
  readonly key: string;
  readonly object: KubeObject;
  readonly rules: readonly (readonly WeightedBackend[])[];
}

function serviceBackend(backend: IngressBackend, namespace: string): Omit<WeightedBackend, "weight"> | undefined {
  const name = backend.service?.name;
  return name === undefined ? undefined : { namespace, service: name };
}

/** The first canary Ingress with a rule for the same host and path, and that rule's backend. */
function canaryBackend(
  canaries: readonly IngressObject[],
  host: string | undefined,
  path: string | undefined,
): { ingress: IngressObject; backend: Omit<WeightedBackend, "weight"> } | undefined {
  for (const ingress of canaries) {
    for (const rule of ingress.spec.rules ?? []) {
      if ((rule.host ?? "") !== (host ?? "")) continue;
      const match = (rule.http?.paths ?? []).find((candidate) => (candidate.path ?? "/") === (path ?? "/"));
      const backend = match && serviceBackend(match.backend, ingress.metadata.namespace ?? "default");
      if (backend !== undefined) return { ingress, backend };
    }
  }
  return undefined;
}

function positiveInteger(value: string | undefined, fallback: number): number {
  const parsed = Number(value);
  return value !== undefined && Number.isInteger(parsed) && parsed >= 0 ? parsed : fallback;
}

/** nginx's smooth weighted round-robin: exact shares over any window, evenly interleaved. */
class SmoothWeightedPicker {
  readonly #current = new Map<string, number>();

  pick(entries: readonly { key: string; weight: number }[]): string | undefined {
    const usable = entries.filter((entry) => entry.weight > 0);
    const total = usable.reduce((sum, entry) => sum + entry.weight, 0);
    // A backend that left the rotation starts afresh when it returns, without a burst.
    for (const key of this.#current.keys()) if (!usable.some((entry) => entry.key === key)) this.#current.delete(key);
    if (total <= 0) return undefined;
    let best: string | undefined;
    let bestValue = Number.NEGATIVE_INFINITY;
    for (const entry of usable) {
      const value = (this.#current.get(entry.key) ?? 0) + entry.weight;
      this.#current.set(entry.key, value);
      if (value > bestValue) {
        best = entry.key;
        bestValue = value;
      }
    }
    if (best !== undefined) this.#current.set(best, bestValue - total);
    return best;
  }
}

function clamp(value: number, min: number, max: number): number {
  return Number.isFinite(value) ? Math.min(max, Math.max(min, value)) : min;
}
