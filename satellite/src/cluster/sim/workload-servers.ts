import { AggregatorRegistry, type Registry } from "prom-client";
import { DEPLOYMENT_RESOURCE, type DeploymentObject } from "./deployment-kind.js";
import type { ObjectStore } from "./object-store.js";
import { resourceKey } from "./resource-kind.js";
import { WorkloadServer, workloadBehaviour } from "./workload-server.js";

/** A running workload server, as the admin API lists it. */
export interface WorkloadServerInfo {
  readonly namespace: string;
  /** The Deployment it stands for. */
  readonly name: string;
  readonly service: string;
  readonly version: string;
  readonly errorRate: number;
  readonly latencyMs: number;
  /** `http://127.0.0.1:PORT`: any path is an application request, `/metrics` its metrics. */
  readonly url: string;
}

/**
 * The real HTTP servers of a simulated cluster's versions, one `WorkloadServer` per Deployment that
 * receives traffic. A server starts the first time the simulated gateway sends a request to its
 * Deployment. It follows the Deployment: a change of its `sentra.io/sim-*` annotations or labels
 * reconfigures it at once, and its deletion closes it (its metrics go with it, as a deleted pod's
 * do).
 */
export class WorkloadServers {
  readonly #servers = new Map<string, { namespace: string; name: string; server: WorkloadServer }>();
  readonly #unsubscribe: () => void;
  #closed = false;

  constructor(store: ObjectStore) {
    const deployments = resourceKey(DEPLOYMENT_RESOURCE);
    this.#unsubscribe = store.subscribe((event) => {
      if (event.resource !== deployments) return;
      const key = deploymentKey(event.object as DeploymentObject);
      const entry = this.#servers.get(key);
      if (entry === undefined) return;
      if (event.type === "DELETED") {
        this.#servers.delete(key);
        void entry.server.close();
      } else {
        entry.server.configure(workloadBehaviour(event.object as DeploymentObject));
      }
    });
  }

  /** The server of a Deployment, started on first use; undefined once closed. */
  serverFor(deployment: DeploymentObject): WorkloadServer | undefined {
    if (this.#closed) return undefined;
    const key = deploymentKey(deployment);
    let entry = this.#servers.get(key);
    if (entry === undefined) {
      entry = {
        namespace: deployment.metadata.namespace ?? "default",
        name: deployment.metadata.name ?? "",
        server: new WorkloadServer(workloadBehaviour(deployment)),
      };
      this.#servers.set(key, entry);
    }
    return entry.server;
  }

  /** The running servers, by namespace and name. */
  list(): WorkloadServerInfo[] {
    return [...this.#servers.values()]
      .map(({ namespace, name, server }) => ({ namespace, name, ...server.behaviour, url: server.url }))
      .sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
  }

  /**
   * Every server's metrics plus `extra` (e.g. the gateway's), gathered into one registry: series
   * with the same labels — two Deployments that claim the same service and version — are added up,
   * so the exposition never repeats a series.
   */
  async gather(extra: readonly Registry[] = []): Promise<Registry> {
    const registries = [...[...this.#servers.values()].map((entry) => entry.server.registry), ...extra];
    const metrics = await Promise.all(registries.map((registry) => registry.getMetricsAsJSON()));
    return AggregatorRegistry.aggregate(metrics);
  }

  /** Closes every server and stops following the store. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#unsubscribe();
    const servers = [...this.#servers.values()];
    this.#servers.clear();
    await Promise.all(servers.map((entry) => entry.server.close()));
  }
}

function deploymentKey(deployment: DeploymentObject): string {
  return `${deployment.metadata.namespace ?? "default"}/${deployment.metadata.name ?? ""}`;
}
