import { writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { ADMIN_PATH_PREFIX, type AdminTarget, type FailureSnapshot, handleAdminRequest } from "./admin-router.js";
import { ApiRouter } from "./api-router.js";
import { type CustomResourceDefinition, createCustomResourceKinds } from "./custom-resource-kind.js";
import { createDeploymentKind, DEPLOYMENT_RESOURCE, type DeploymentObject } from "./deployment-kind.js";
import { createEventKind } from "./event-kind.js";
import {
  FailureInjector,
  type RequestFailure,
  type RequestFailureRule,
  type UnreachableMode,
} from "./failure-injector.js";
import { createHttpRouteKind, HTTP_ROUTE_RESOURCE } from "./http-route-kind.js";
import { createIngressKind, INGRESS_RESOURCE } from "./ingress-kind.js";
import type { KubeObject } from "./kube-object.js";
import { type KubeconfigOptions, simulatedKubeconfig } from "./kubeconfig.js";
import { createNamespaceKind, NAMESPACE_RESOURCE } from "./namespace-kind.js";
import { ObjectStore } from "./object-store.js";
import { type ReadinessFailure, ReadinessSimulator } from "./readiness-simulator.js";
import { type ReplicaPoint, ReplicaTimeline } from "./replica-timeline.js";
import { apiVersionOf, type ResourceKind, type ResourceRef, ResourceRegistry } from "./resource-kind.js";
import { ResourceService } from "./resource-service.js";
import { DEFAULT_SEED_NAMESPACE, type DeploymentSeed, type SeedSet, seedDeployments } from "./seed-workloads.js";
import { createServiceKind, SERVICE_RESOURCE } from "./service-kind.js";
import { SimulatedTraffic, type SimulatedTrafficOptions } from "./simulated-traffic.js";
import { StatusError } from "./status-error.js";
import { type VersionedServiceOptions, versionedServiceManifests } from "./versioned-service-manifests.js";
import { createVirtualServiceKind, VIRTUAL_SERVICE_RESOURCE } from "./virtual-service-kind.js";
import type { WorkloadServerInfo } from "./workload-servers.js";

/** Options of `SimulatedCluster.start`. */
export interface SimulatedClusterOptions {
  /** Cluster name (kubeconfig cluster and default context name). */
  name: string;
  /** Interface to listen on. @default "127.0.0.1" */
  host?: string;
  /** Port to listen on; 0 picks a free one (read it back from `url`). @default 0 */
  port?: number;
  /** Time for new pods to become ready, in ms. @default DEFAULT_READINESS_DELAY_MS (2000) */
  readinessDelayMs?: number;
  /** Deployments to start with: a named set, explicit seeds, or none. @default "none" */
  seed?: readonly DeploymentSeed[] | SeedSet | "none";
  /** Namespace of seeds that do not name one. @default "default" */
  seedNamespace?: string;
  /** Namespaces to create besides `default`, `kube-system` and the seeds' namespaces. */
  namespaces?: readonly string[];
  /** Whether Deployments created through the API start ready. Seeds always do. @default true */
  startReady?: boolean;
  /** Events kept for watch resumption; older resourceVersions get 410. @default 1000 */
  watchHistorySize?: number;
  /** Extra kinds to serve (Gateway API, Istio, Ingress...), next to Namespaces and Deployments. */
  kinds?: readonly ResourceKind[];
  /** CustomResourceDefinitions to serve as if installed (e.g. Sentra's ReleasePolicy). @default none */
  customResourceDefinitions?: readonly CustomResourceDefinition[];
  /**
   * Simulated workload traffic through HTTPRoutes, VirtualServices and Ingresses, with the metrics
   * the release guard's gates read at `GET /sentra-sim/v1/metrics`. Also serves Services, Gateway
   * API HTTPRoutes, Istio VirtualServices and Ingresses (unless `kinds` already does). @default none
   */
  traffic?: SimulatedTrafficOptions;
  /**
   * Services under rollout to create at start, after the seeds (`versionedServiceManifests`: a
   * Deployment and a Service per version, and their routes). They start ready. Needs `traffic`.
   */
  services?: readonly VersionedServiceOptions[];
  /**
   * Serve HTTPS with this certificate instead of plain HTTP, as a real API server does: a client
   * that loads an in-cluster config (`KubeConfig.loadFromCluster`) always speaks https and checks
   * the server against the service account's `ca.crt`. @default plain HTTP
   */
  tls?: { certificatePem: string; privateKeyPem: string };
  /**
   * The bearer token every API request must carry (401 Unauthorized otherwise), as a real API
   * server requires a service account's: proves a client sends the token it was given. The
   * `/sentra-sim/v1` control surface stays open. @default any token or none
   */
  requiredToken?: string;
}

/**
 * An in-process Kubernetes API server for one simulated cluster: Namespaces and Deployments
 * (with the `scale` subresource and simulated readiness) over real HTTP, so the real
 * `@kubernetes/client-node` and `kubectl` work against it. Also the control surface of the
 * simulation: failure injection, replica timelines, readiness delay — in-process here and over
 * HTTP under `/sentra-sim/v1`.
 */
export class SimulatedCluster implements AdminTarget, AsyncDisposable {
  readonly name: string;
  readonly #server: Server;
  readonly #store: ObjectStore;
  readonly #service: ResourceService;
  readonly #registry: ResourceRegistry;
  readonly #simulator: ReadinessSimulator;
  readonly #timeline: ReplicaTimeline;
  readonly #failures: FailureInjector;
  readonly #router: ApiRouter;
  readonly #stopTimeline: () => void;
  readonly #traffic: SimulatedTraffic | undefined;
  readonly #scheme: "http" | "https";
  #url = "";
  #closed: Promise<void> | undefined;

  private constructor(options: SimulatedClusterOptions) {
    this.name = options.name;
    this.#store = new ObjectStore({ historySize: options.watchHistorySize });
    this.#simulator = new ReadinessSimulator({
      readinessDelayMs: options.readinessDelayMs,
      startReady: options.startReady,
    });
    const deployments = createDeploymentKind({ initialStatus: (d) => this.#simulator.initialStatus(d) });
    this.#registry = new ResourceRegistry([
      createNamespaceKind(),
      deployments,
      // Controllers record Events; kubectl describe and get events read them.
      createEventKind(),
      ...(options.kinds ?? []),
      ...(options.customResourceDefinitions ?? []).flatMap(createCustomResourceKinds),
    ]);
    if (options.traffic) {
      if (!this.#registry.find(SERVICE_RESOURCE.group, SERVICE_RESOURCE.version, SERVICE_RESOURCE.resource))
        this.#registry.register(createServiceKind());
      for (const [ref, create] of [
        [HTTP_ROUTE_RESOURCE, createHttpRouteKind],
        [VIRTUAL_SERVICE_RESOURCE, createVirtualServiceKind],
        [INGRESS_RESOURCE, createIngressKind],
      ] as const) {
        if (!this.#registry.find(ref.group, ref.version, ref.resource)) this.#registry.register(create());
      }
    }
    this.#service = new ResourceService(this.#store, this.#registry);
    this.#timeline = new ReplicaTimeline();
    this.#stopTimeline = this.#timeline.follow(this.#store);
    this.#simulator.attach(this.#store, this.#service, deployments);
    this.#failures = new FailureInjector();
    this.#traffic = options.traffic ? new SimulatedTraffic(this.#store, options.traffic) : undefined;
    this.#router = new ApiRouter({
      service: this.#service,
      registry: this.#registry,
      failures: this.#failures,
      serverAddress: () => new URL(this.#url).host,
      requiredToken: options.requiredToken,
    });
    const handle = (req: IncomingMessage, res: ServerResponse): void => {
      if (req.url?.startsWith(`${ADMIN_PATH_PREFIX}/`)) void handleAdminRequest(this, req, res);
      else void this.#router.handle(req, res);
    };
    this.#server = options.tls
      ? createHttpsServer({ cert: options.tls.certificatePem, key: options.tls.privateKeyPem }, handle)
      : createServer(handle);
    this.#scheme = options.tls ? "https" : "http";
  }

  /** Creates the cluster, seeds it, and starts serving. */
  static async start(options: SimulatedClusterOptions): Promise<SimulatedCluster> {
    const cluster = new SimulatedCluster(options);
    cluster.#seed(options);
    const host = options.host ?? "127.0.0.1";
    await new Promise<void>((resolve, reject) => {
      cluster.#server.once("error", reject);
      cluster.#server.listen(options.port ?? 0, host, () => {
        cluster.#server.off("error", reject);
        resolve();
      });
    });
    const { port } = cluster.#server.address() as AddressInfo;
    cluster.#url = `${cluster.#scheme}://${host.includes(":") ? `[${host}]` : host}:${port}`;
    return cluster;
  }

  /** Base URL of the API server (`http://127.0.0.1:PORT`, or `https://` with `tls`). */
  get url(): string {
    return this.#url;
  }

  /** The cluster's current resourceVersion (one counter for every kind). */
  get resourceVersion(): number {
    return this.#store.resourceVersion;
  }

  /** Open watch streams (a test can assert its clients closed theirs). */
  get openWatchCount(): number {
    return this.#router.openWatchCount;
  }

  /** The kinds served. */
  get registry(): ResourceRegistry {
    return this.#registry;
  }

  /** A kubeconfig for this cluster: server = `url`, a static-token user, one current context. */
  kubeconfigYaml(options: Omit<KubeconfigOptions, "clusterName" | "server"> = {}): string {
    return simulatedKubeconfig({ ...options, clusterName: this.name, server: this.#url });
  }

  /** Writes `kubeconfigYaml(options)` to a file (mode 0600, as kubectl expects of credentials). */
  async writeKubeconfig(path: string, options: Omit<KubeconfigOptions, "clusterName" | "server"> = {}) {
    await writeFile(path, this.kubeconfigYaml(options), { mode: 0o600 });
  }

  // --- readiness -------------------------------------------------------------------------------

  /** Cluster-wide readiness delay in ms (a Deployment's `sentra.io/sim-readiness-delay-ms` overrides it). */
  get readinessDelayMs(): number {
    return this.#simulator.readinessDelayMs;
  }

  /** Changes the readiness delay for changes made from now on. */
  setReadinessDelay(ms: number): void {
    this.#simulator.setReadinessDelay(ms);
  }

  // --- failures --------------------------------------------------------------------------------

  /** The Deployment never gets more ready replicas than `maxReady` (default: its ready count now). */
  failReadiness(namespace: string, name: string, maxReady?: number): ReadinessFailure {
    return this.#simulator.failReadiness(namespace, name, maxReady);
  }

  /** Lifts readiness failures (of one Deployment, a namespace, or all); held-back replicas then become ready after the delay. */
  clearReadinessFailures(namespace?: string, name?: string): void {
    this.#simulator.clearReadinessFailures(namespace, name);
  }

  /** The next `times` API requests matching `method`/`pathPattern` answer `status`. */
  failRequests(rule: RequestFailureRule): RequestFailure {
    return this.#failures.failRequests(rule);
  }

  /**
   * Makes the API unreachable (`true`/`"status"`: every request answers 503; `"drop"`: the
   * connection is destroyed) or reachable again (`false`). Open watches are cut when it goes down.
   */
  unreachable(unreachable: boolean | UnreachableMode): void {
    this.#failures.setUnreachable(unreachable);
    if (this.#failures.unreachable)
      this.#router.closeWatches(this.#failures.unreachable === "drop" ? "destroy" : "end");
  }

  /** Ends every open watch stream, as an API server restart or a load balancer timeout would. */
  dropWatches(): void {
    this.#router.closeWatches("end");
  }

  /** Clears every injected failure (requests, reachability and readiness). */
  clearFailures(): void {
    this.#failures.clear();
    this.#simulator.clearReadinessFailures();
  }

  /** Every failure in force. */
  failures(): FailureSnapshot {
    return { readiness: this.#simulator.readinessFailures(), ...this.#failures.snapshot() };
  }

  // --- observation -----------------------------------------------------------------------------

  /** Every change of a Deployment's desired or ready replicas, oldest first. */
  timeline(namespace: string, name: string): ReplicaPoint[] {
    return this.#timeline.points(namespace, name);
  }

  /** The simulated workload traffic, when the cluster was started with `traffic`. */
  get traffic(): SimulatedTraffic | undefined {
    return this.#traffic;
  }

  /** Where Prometheus scrapes the simulated workloads' metrics; undefined without `traffic`. */
  get trafficMetricsUrl(): string | undefined {
    return this.#traffic ? `${this.#url}${ADMIN_PATH_PREFIX}/metrics` : undefined;
  }

  /**
   * The real HTTP servers of the versions that have received traffic (one per Deployment, on
   * 127.0.0.1); undefined without `traffic`.
   */
  workloadServers(): WorkloadServerInfo[] | undefined {
    return this.#traffic?.workloadServers();
  }

  /**
   * The workloads' metrics in the Prometheus text format, gathered from every workload server's
   * registry and the gateway's (undefined without `traffic`).
   */
  async metrics(): Promise<{ contentType: string; text: string } | undefined> {
    return this.#traffic ? { contentType: this.#traffic.contentType, text: await this.#traffic.metrics() } : undefined;
  }

  /** Deployment status changes still pending in the readiness simulation. */
  get pendingReadinessChanges(): number {
    return this.#simulator.pendingCount();
  }

  /** A copy of a stored object of any served kind. */
  get(ref: ResourceRef, namespace: string, name: string): KubeObject | undefined {
    return this.#store.get(ref, namespace, name);
  }

  /** Copies of the stored objects of a kind (optionally one namespace). */
  list(ref: ResourceRef, namespace?: string): KubeObject[] {
    return this.#store.list(ref, namespace);
  }

  /** A copy of a stored Deployment. */
  getDeployment(namespace: string, name: string): DeploymentObject | undefined {
    return this.#store.get(DEPLOYMENT_RESOURCE, namespace, name) as DeploymentObject | undefined;
  }

  /** Copies of the stored Deployments. */
  listDeployments(namespace?: string): DeploymentObject[] {
    return this.#store.list(DEPLOYMENT_RESOURCE, namespace) as DeploymentObject[];
  }

  /** Creates a Deployment as the API would (same validation, events and readiness rules). */
  createDeployment(manifest: DeploymentObject): DeploymentObject {
    const kind = this.#registry.resolve(
      DEPLOYMENT_RESOURCE.group,
      DEPLOYMENT_RESOURCE.version,
      DEPLOYMENT_RESOURCE.resource,
    );
    return this.#service.create(
      kind,
      manifest.metadata.namespace ?? DEFAULT_SEED_NAMESPACE,
      manifest,
    ) as DeploymentObject;
  }

  /**
   * Creates an object of any served kind (found by `apiVersion` and `kind`) as the API would, e.g.
   * a Service or an HTTPRoute for a test. @throws StatusError 404 for a kind not served
   */
  createObject(manifest: KubeObject): KubeObject {
    const kind = this.#registry.all().find((k) => apiVersionOf(k) === manifest.apiVersion && k.kind === manifest.kind);
    if (!kind) throw new StatusError(404, `the server does not serve ${manifest.apiVersion} ${manifest.kind}`);
    return this.#service.create(kind, manifest.metadata.namespace ?? DEFAULT_SEED_NAMESPACE, manifest);
  }

  /** Applies a JSON merge patch to a stored object, as `kubectl patch --type merge` would. */
  patchObject(ref: ResourceRef, namespace: string, name: string, patch: Record<string, unknown>): KubeObject {
    return this.#service.patch(
      this.#registry.resolve(ref.group, ref.version, ref.resource),
      namespace,
      name,
      "merge",
      patch,
    );
  }

  /** Deletes a stored object as the API would (`kubectl delete`). @throws StatusError 404 when absent */
  deleteObject(ref: ResourceRef, namespace: string, name: string): KubeObject {
    return this.#service.delete(this.#registry.resolve(ref.group, ref.version, ref.resource), namespace, name);
  }

  /** Creates a namespace unless it exists. */
  ensureNamespace(name: string): void {
    if (this.#store.get(NAMESPACE_RESOURCE, "", name)) return;
    const kind = this.#registry.resolve(
      NAMESPACE_RESOURCE.group,
      NAMESPACE_RESOURCE.version,
      NAMESPACE_RESOURCE.resource,
    );
    this.#service.create(kind, "", { metadata: { name } });
  }

  // --- lifecycle -------------------------------------------------------------------------------

  /**
   * Stops serving: ends watches, closes every connection and every workload server, cancels
   * timers. Idempotent.
   */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#simulator.close();
      this.#stopTimeline();
      this.#router.closeWatches("destroy");
      const traffic = this.#traffic?.close();
      await new Promise<void>((resolve) => {
        if (!this.#server.listening) {
          resolve();
          return;
        }
        this.#server.close(() => resolve());
        this.#server.closeAllConnections();
      });
      await traffic;
    })();
    return this.#closed;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #seed(options: SimulatedClusterOptions): void {
    const seed = options.seed ?? "none";
    const manifests = seed === "none" ? [] : seedDeployments({ set: seed, namespace: options.seedNamespace });
    const services = (options.services ?? []).flatMap((service) => versionedServiceManifests(service));
    const namespaces = new Set([
      "default",
      "kube-system",
      ...(options.namespaces ?? []),
      ...manifests.map((m) => m.metadata.namespace ?? DEFAULT_SEED_NAMESPACE),
      ...(options.services ?? []).map((service) => service.namespace),
    ]);
    for (const namespace of namespaces) this.ensureNamespace(namespace);
    // Seeds stand for workloads that were already running: they start ready.
    this.#simulator.withStartReady(() => {
      for (const manifest of manifests) this.createDeployment(manifest);
      for (const object of services) this.createObject(object);
    });
  }
}
