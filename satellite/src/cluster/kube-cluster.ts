import {
  AppsV1Api,
  CoreV1Api,
  type CoreV1Event,
  CustomObjectsApi,
  type KubeConfig,
  NetworkingV1Api,
  PatchStrategy,
  setHeaderOptions,
  type V1Deployment,
  type V1Ingress,
  type V1Service,
} from "@kubernetes/client-node";
import { type Logger, SentraError } from "@sentra/common";
import { DeploymentWatch, type WatchState } from "./deployment-watch.js";

/** A namespaced resource served outside the built-in clients (Gateway API HTTPRoutes, Istio...). */
export interface CustomResourceRef {
  readonly group: string;
  readonly version: string;
  /** Lower-case plural, e.g. `httproutes`. */
  readonly plural: string;
}

/** A cluster's connection state as the satellite last saw it (every watch reachable, or the first error). */
export type ClusterState = WatchState;

/**
 * One Kubernetes cluster (kube context), reached only through @kubernetes/client-node — the same
 * code path for a simulated cluster and a real one. Deployments are kept in informer caches
 * (list + watch, re-listed after a dropped watch) so inventory reads never hit the API server:
 * one across the cluster, or one per namespace when `namespaces` limits what the satellite may
 * see (a Role per namespace instead of a ClusterRole).
 */
export class KubeCluster {
  private readonly apps: AppsV1Api;
  private readonly core: CoreV1Api;
  private readonly customObjects: CustomObjectsApi;
  private readonly networking: NetworkingV1Api;
  private readonly watches: DeploymentWatch[];

  /** `namespaces`: the only namespaces listed and watched; undefined = all of them. */
  constructor(
    readonly name: string,
    kubeConfig: KubeConfig,
    logger: Logger,
    private readonly namespaces?: readonly string[],
  ) {
    this.apps = kubeConfig.makeApiClient(AppsV1Api);
    this.core = kubeConfig.makeApiClient(CoreV1Api);
    this.customObjects = kubeConfig.makeApiClient(CustomObjectsApi);
    this.networking = kubeConfig.makeApiClient(NetworkingV1Api);
    this.watches = (namespaces ?? [undefined]).map(
      (namespace) => new DeploymentWatch(kubeConfig, this.apps, namespace, name, logger),
    );
  }

  /** Starts the informers; resolves after the first lists, rejects if the cluster cannot be listed. */
  async start(): Promise<void> {
    await Promise.all(this.watches.map((watch) => watch.start()));
  }

  async stop(): Promise<void> {
    await Promise.all(this.watches.map((watch) => watch.stop()));
  }

  health(): ClusterState {
    return (
      this.watches.map((watch) => watch.health()).find((state) => !state.reachable) ?? {
        reachable: true,
        error: undefined,
      }
    );
  }

  /** Deployments as last seen by the informers. */
  deployments(): readonly V1Deployment[] {
    return this.watches.flatMap((watch) => watch.list());
  }

  /** Reads one Deployment from the API server (not the cache): saga steps need fresh status. */
  async getDeployment(namespace: string, name: string): Promise<V1Deployment> {
    try {
      return await this.apps.readNamespacedDeployment({ namespace, name });
    } catch (error) {
      throw kubeError(error, `${this.name}/${namespace}/${name}`);
    }
  }

  /**
   * Sets desired replicas and records the command's idempotency key on the Deployment in the same
   * merge patch, so a retried command is recognised even after a satellite restart. With
   * `resourceVersion` (the version the caller read and decided on) the patch is a compare-and-swap:
   * the API server answers 409 (ABORTED) when the Deployment changed since, and nothing is written.
   */
  async scaleDeployment(
    namespace: string,
    name: string,
    replicas: number,
    annotations: Record<string, string>,
    resourceVersion?: string,
  ): Promise<V1Deployment> {
    const metadata = resourceVersion ? { annotations, resourceVersion } : { annotations };
    try {
      return await this.apps.patchNamespacedDeployment(
        { namespace, name, body: { spec: { replicas }, metadata } },
        setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
      );
    } catch (error) {
      throw kubeError(error, `${this.name}/${namespace}/${name}`);
    }
  }

  /** Reads one namespaced custom object from the API server. */
  async getCustomObject<T>(ref: CustomResourceRef, namespace: string, name: string): Promise<T> {
    try {
      return (await this.customObjects.getNamespacedCustomObject({ ...ref, namespace, name })) as T;
    } catch (error) {
      throw kubeError(error, `${this.name}/${namespace}/${ref.plural}/${name}`);
    }
  }

  /**
   * Replaces a custom object. The body's `metadata.resourceVersion` makes it a compare-and-swap:
   * a concurrent change answers ABORTED (409), and the caller re-reads and retries.
   */
  async replaceCustomObject<T>(ref: CustomResourceRef, namespace: string, name: string, body: T): Promise<T> {
    try {
      return (await this.customObjects.replaceNamespacedCustomObject({ ...ref, namespace, name, body })) as T;
    } catch (error) {
      throw kubeError(error, `${this.name}/${namespace}/${ref.plural}/${name}`);
    }
  }

  /** Reads one Ingress from the API server. */
  async getIngress(namespace: string, name: string): Promise<V1Ingress> {
    try {
      return await this.networking.readNamespacedIngress({ namespace, name });
    } catch (error) {
      throw kubeError(error, `${this.name}/${namespace}/ingresses/${name}`);
    }
  }

  /** Creates an Ingress; a name already taken answers ABORTED (409), like a concurrent change. */
  async createIngress(namespace: string, body: V1Ingress): Promise<V1Ingress> {
    try {
      return await this.networking.createNamespacedIngress({ namespace, body });
    } catch (error) {
      throw kubeError(error, `${this.name}/${namespace}/ingresses/${body.metadata?.name ?? ""}`);
    }
  }

  /**
   * Replaces an Ingress. The body's `metadata.resourceVersion` makes it a compare-and-swap: a
   * concurrent change answers ABORTED (409), and the caller re-reads and retries.
   */
  async replaceIngress(namespace: string, name: string, body: V1Ingress): Promise<V1Ingress> {
    try {
      return await this.networking.replaceNamespacedIngress({ namespace, name, body });
    } catch (error) {
      throw kubeError(error, `${this.name}/${namespace}/ingresses/${name}`);
    }
  }

  /**
   * Every object of a namespaced custom resource, across namespaces (as a list call returns them),
   * or across the watched namespaces, one list each.
   */
  async listCustomObjects<T>(ref: CustomResourceRef): Promise<T[]> {
    try {
      if (this.namespaces === undefined) {
        const list = (await this.customObjects.listClusterCustomObject({ ...ref })) as { items?: T[] };
        return list.items ?? [];
      }
      const lists = await Promise.all(
        this.namespaces.map(
          async (namespace) =>
            (await this.customObjects.listNamespacedCustomObject({ ...ref, namespace })) as { items?: T[] },
        ),
      );
      return lists.flatMap((list) => list.items ?? []);
    } catch (error) {
      throw kubeError(error, `${this.name}/${ref.plural}`);
    }
  }

  /** Merge-patches a custom object's `status` subresource (a `null` field removes it). */
  async patchCustomObjectStatus(
    ref: CustomResourceRef,
    namespace: string,
    name: string,
    status: Record<string, unknown>,
  ): Promise<void> {
    try {
      await this.customObjects.patchNamespacedCustomObjectStatus(
        { ...ref, namespace, name, body: { status } },
        setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
      );
    } catch (error) {
      throw kubeError(error, `${this.name}/${namespace}/${ref.plural}/${name}/status`);
    }
  }

  /**
   * Creates a Deployment, or replaces the spec of the one there (compare-and-swap on its
   * resourceVersion: a concurrent change answers ABORTED). Its status stays the server's.
   */
  async applyDeployment(namespace: string, body: V1Deployment): Promise<V1Deployment> {
    const name = body.metadata?.name ?? "";
    try {
      let existing: V1Deployment | undefined;
      try {
        existing = await this.apps.readNamespacedDeployment({ namespace, name });
      } catch (error) {
        if ((error as { code?: number }).code !== 404) throw error;
      }
      if (existing === undefined) return await this.apps.createNamespacedDeployment({ namespace, body });
      const metadata = { ...existing.metadata, ...body.metadata, resourceVersion: existing.metadata?.resourceVersion };
      return await this.apps.replaceNamespacedDeployment({ namespace, name, body: { ...body, metadata } });
    } catch (error) {
      throw kubeError(error, `${this.name}/${namespace}/${name}`);
    }
  }

  /** Creates a Service unless one of that name exists (which is left as it is). */
  async ensureService(namespace: string, body: V1Service): Promise<void> {
    const name = body.metadata?.name ?? "";
    try {
      await this.core.createNamespacedService({ namespace, body });
    } catch (error) {
      if ((error as { code?: number }).code === 409) return;
      throw kubeError(error, `${this.name}/${namespace}/services/${name}`);
    }
  }

  /** Reads one Service; undefined when there is none. */
  async findService(namespace: string, name: string): Promise<V1Service | undefined> {
    try {
      return await this.core.readNamespacedService({ namespace, name });
    } catch (error) {
      if ((error as { code?: number }).code === 404) return undefined;
      throw kubeError(error, `${this.name}/${namespace}/services/${name}`);
    }
  }

  /** Records a Kubernetes Event (what `kubectl describe` and `kubectl get events` show). */
  async createEvent(namespace: string, event: CoreV1Event): Promise<void> {
    try {
      await this.core.createNamespacedEvent({ namespace, body: event });
    } catch (error) {
      throw kubeError(error, `${this.name}/${namespace}/events`);
    }
  }
}

/** Maps client-node errors (ApiException with a `code`) onto the error vocabulary. */
function kubeError(error: unknown, what: string): SentraError {
  const status = (error as { code?: number }).code;
  const body = (error as { body?: unknown }).body;
  let message = error instanceof Error ? error.message : String(error);
  if (typeof body === "string") {
    try {
      message = (JSON.parse(body) as { message?: string }).message ?? message;
    } catch {
      // Not a Status object; keep the client's message.
    }
  }
  const code =
    status === 404
      ? "NOT_FOUND"
      : status === 409
        ? "ABORTED"
        : status === 400 || status === 422
          ? "INVALID_ARGUMENT"
          : status === 403 || status === 401
            ? "PERMISSION_DENIED"
            : "UNAVAILABLE";
  return new SentraError(code, `${what}: ${message}`, { cause: error });
}
