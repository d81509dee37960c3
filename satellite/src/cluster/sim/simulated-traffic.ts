import { Agent, type ClientRequest, request as httpRequest } from "node:http";
import { Counter, type MetricObjectWithValues, type MetricValue, Registry } from "prom-client";
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
import type { WorkloadServer } from "./workload-server.js";
import { type WorkloadServerInfo, WorkloadServers } from "./workload-servers.js";

/** HTTPRoute, VirtualService or Ingress annotation: requests per second sent through it. @default the cluster's rate */
export const SIM_REQUESTS_PER_SECOND_ANNOTATION = "sentra.io/sim-requests-per-second";

/** @default 100 — how often the requests due are sent, in ms. */
export const DEFAULT_TRAFFIC_TICK_MS = 100;
/**
 * @default 64 — keep-alive connections the gateway opens at most to one version's server. A tick's
 * requests (10 at 100 requests/s) need a handful; a burst after a stalled event loop waits in the
 * agent's queue rather than opening hundreds of sockets.
 */
export const GATEWAY_MAX_SOCKETS_PER_VERSION = 64;
/** @default 30000 — an idle gateway connection is closed after this long, in ms (before the server's 65 s). */
export const GATEWAY_IDLE_SOCKET_TIMEOUT_MS = 30_000;

/** Options of the simulated traffic. */
export interface SimulatedTrafficOptions {
  /** Requests per second through each HTTPRoute (a route's annotation overrides it). */
  readonly requestsPerSecond: number;
  /** @default DEFAULT_TRAFFIC_TICK_MS */
  readonly tickMs?: number;
}

/**
 * The workloads' own traffic, so that a real Prometheus has something to judge a rollout by: a
 * simulated gateway that sends real HTTP requests to the versions' real servers. Every tick it
 * sends the requests due on each entry point — every Gateway API HTTPRoute, Istio VirtualService
 * and (non-canary) Ingress — to its backends in proportion to their weights (smooth weighted
 * round-robin, so the split is exact over time, as a gateway's is): HTTPRoute `backendRefs` weights;
 * VirtualService `http[].route[]` weights (a destination `host` is a Service: `name` or
 * `name.<ns>.svc.cluster.local`); for an Ingress path, the NGINX canary split — a canary Ingress
 * (`nginx.ingress.kubernetes.io/canary: "true"`) with the same host and path takes `canary-weight`
 * of `canary-weight-total` (100). Rules of one entry point take turns. A backend Service resolves to
 * the ready pods of the Deployments its selector matches, shared by ready replicas — which is what
 * the replica-ratio router relies on. The chosen Deployment's `WorkloadServer` (started on its
 * first request) answers over a keep-alive connection and records the request in the metrics the
 * built-in gates read (docs/release-guard.md): `http_requests_total{service, version, code}` and
 * `http_request_duration_seconds{service, version}`, with its error rate and latency from the
 * Deployment's `sentra.io/sim-error-rate` and `sentra.io/sim-latency-ms` annotations.
 * A backend without ready pods gets its share as gateway 503s (`sentra_sim_gateway_requests_total`
 * counts every request by the code the client saw), as Envoy-based gateways answer "no healthy
 * upstream"; the application never sees those.
 */
export class SimulatedTraffic {
  readonly #store: ObjectStore;
  readonly #requestsPerSecond: number;
  readonly #tickMs: number;
  readonly #timer: NodeJS.Timeout;
  readonly #gatewayRegistry = new Registry();
  readonly #gateway: Counter<"namespace" | "route" | "backend" | "code">;
  readonly #servers: WorkloadServers;
  readonly #agent = new Agent({
    keepAlive: true,
    maxSockets: GATEWAY_MAX_SOCKETS_PER_VERSION,
    timeout: GATEWAY_IDLE_SOCKET_TIMEOUT_MS,
  });
  /** Requests on the wire and their answers: aborted by `close`, awaited by `settled`. */
  readonly #inFlight = new Map<ClientRequest, Promise<string>>();
  /** Fractional requests carried to the next tick, per route. */
  readonly #carry = new Map<string, number>();
  readonly #pickers = new Map<string, SmoothWeightedPicker>();
  #lastTickMs = performance.now();
  /** Per tick: the ready Deployments behind each Service. */
  readonly #tickEndpoints = new Map<string, DeploymentObject[]>();
  #closed: Promise<void> | undefined;

  constructor(store: ObjectStore, options: SimulatedTrafficOptions) {
    this.#store = store;
    this.#requestsPerSecond = options.requestsPerSecond;
    this.#tickMs = options.tickMs ?? DEFAULT_TRAFFIC_TICK_MS;
    this.#servers = new WorkloadServers(store);
    this.#gateway = new Counter({
      name: "sentra_sim_gateway_requests_total",
      help: "Requests the simulated gateway sent to each backend, by the code the client saw",
      labelNames: ["namespace", "route", "backend", "code"],
      registers: [this.#gatewayRegistry],
    });
    this.#timer = setInterval(() => void this.tick(), this.#tickMs);
    this.#timer.unref();
  }

  /** Every workload server's metrics and the gateway's, in the Prometheus text format. */
  async metrics(): Promise<string> {
    return (await this.#servers.gather([this.#gatewayRegistry])).metrics();
  }

  /** The same metrics as `metrics()`, as prom-client's JSON (for tests and tools). */
  async metricsAsJSON(): Promise<MetricObjectWithValues<MetricValue<string>>[]> {
    return (await this.#servers.gather([this.#gatewayRegistry])).getMetricsAsJSON();
  }

  get contentType(): string {
    return this.#gatewayRegistry.contentType;
  }

  /** The versions' servers running now. */
  workloadServers(): WorkloadServerInfo[] {
    return this.#servers.list();
  }

  /**
   * Sends the requests due since the last tick (called by the timer; tests may call it). Resolves
   * once every one of them has been answered (or has failed); never rejects.
   */
  tick(nowMs = performance.now()): Promise<void> {
    if (this.#closed) return Promise.resolve();
    const elapsedSeconds = Math.max(0, nowMs - this.#lastTickMs) / 1000;
    this.#lastTickMs = nowMs;
    // Objects are read once per tick, not per request: the store hands out copies.
    this.#tickEndpoints.clear();
    const sent: Promise<void>[] = [];
    for (const entry of this.#entries()) {
      const rate = Number(
        entry.object.metadata.annotations?.[SIM_REQUESTS_PER_SECOND_ANNOTATION] ?? this.#requestsPerSecond,
      );
      const due = (this.#carry.get(entry.key) ?? 0) + (Number.isFinite(rate) && rate > 0 ? rate : 0) * elapsedSeconds;
      // The epsilon keeps float error (999.9999…) from losing a whole request.
      const count = Math.floor(due + 1e-9);
      this.#carry.set(entry.key, Math.max(0, due - count));
      for (let index = 0; index < count; index++) {
        const answered = this.#send(entry, index);
        if (answered !== undefined) sent.push(answered);
      }
    }
    return Promise.all(sent).then(() => undefined);
  }

  /**
   * Resolves once the requests on the wire now have been answered (not those sent later): after
   * a version leaves the rotation, what it still serves is what it had already been sent.
   */
  async settled(): Promise<void> {
    await Promise.all(this.#inFlight.values());
  }

  /** Stops sending, aborts the requests on the wire and closes every workload server. Idempotent. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      clearInterval(this.#timer);
      for (const request of this.#inFlight.keys()) request.destroy();
      this.#inFlight.clear();
      this.#agent.destroy();
      await this.#servers.close();
    })();
    return this.#closed;
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

  /** Picks the backend of one request and sends it; undefined when nothing was sent over HTTP. */
  #send(entry: TrafficEntry, index: number): Promise<void> | undefined {
    const rules = entry.rules.filter((rule) => rule.length > 0);
    if (rules.length === 0) return undefined;
    const ruleIndex = index % rules.length;
    const namespace = entry.object.metadata.namespace ?? "default";
    const backend = this.#picker(`${entry.key}#${ruleIndex}`).pick(
      (rules[ruleIndex] ?? []).map((ref) => ({ key: `${ref.namespace}/${ref.service}`, weight: ref.weight })),
    );
    if (backend === undefined) return undefined;
    const [backendNamespace = namespace, serviceName = ""] = backend.split("/");
    const deployment = this.#endpoint(backendNamespace, serviceName);
    const gatewayLabels = { namespace, route: entry.object.metadata.name ?? "", backend: serviceName };
    const server = deployment && this.#servers.serverFor(deployment);
    if (server === undefined) {
      this.#gateway.inc({ ...gatewayLabels, code: "503" });
      return undefined;
    }
    return this.#request(server).then((code) => this.#gateway.inc({ ...gatewayLabels, code }));
  }

  /**
   * One GET to a workload server over the gateway's keep-alive agent; resolves with the status
   * code, or "502" when the connection failed (as a gateway answers a broken upstream).
   */
  async #request(server: WorkloadServer): Promise<string> {
    const port = server.port || (await server.listening().catch(() => 0));
    if (port === 0 || this.#closed) return "502";
    const request = httpRequest({ agent: this.#agent, host: "127.0.0.1", port, path: "/", method: "GET" });
    const answered = new Promise<string>((resolve) => {
      const done = (code: string): void => {
        this.#inFlight.delete(request);
        resolve(code);
      };
      request.once("response", (response) => {
        response.once("end", () => done(String(response.statusCode ?? 502)));
        // Closed before its end: the connection broke mid-answer.
        response.once("close", () => done("502"));
        response.resume();
      });
      request.once("error", () => done("502"));
    });
    this.#inFlight.set(request, answered);
    request.end();
    return answered;
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
