import {
  type AppsV1Api,
  type Informer,
  type KubeConfig,
  makeInformer,
  type ObjectCache,
  type V1Deployment,
} from "@kubernetes/client-node";
import type { Logger } from "@sentra/common";

/** @default 1000 — first delay before an informer that lost its watch re-lists; doubles to 30 s. */
const INFORMER_RESTART_BASE_MS = 1_000;
const INFORMER_RESTART_MAX_MS = 30_000;

/** A watch's connection state as the satellite last saw it. */
export interface WatchState {
  reachable: boolean;
  error: string | undefined;
}

/**
 * The Deployments of one cluster (all namespaces) or of one namespace, kept in an informer cache
 * (list + watch) and re-listed after a lost watch, backing off from 1 s to 30 s.
 */
export class DeploymentWatch {
  private readonly informer: Informer<V1Deployment> & ObjectCache<V1Deployment>;
  private state: WatchState = { reachable: false, error: "not started" };
  private restartTimer: NodeJS.Timeout | undefined;
  private restartDelayMs = INFORMER_RESTART_BASE_MS;
  private stopped = false;

  /** `namespace` undefined watches every namespace (which needs a ClusterRole). */
  constructor(
    kubeConfig: KubeConfig,
    apps: AppsV1Api,
    private readonly namespace: string | undefined,
    private readonly clusterName: string,
    private readonly logger: Logger,
  ) {
    this.informer =
      namespace === undefined
        ? makeInformer<V1Deployment>(kubeConfig, "/apis/apps/v1/deployments", () =>
            apps.listDeploymentForAllNamespaces(),
          )
        : makeInformer<V1Deployment>(kubeConfig, `/apis/apps/v1/namespaces/${namespace}/deployments`, () =>
            apps.listNamespacedDeployment({ namespace }),
          );
    this.informer.on("connect", () => {
      this.state = { reachable: true, error: undefined };
      this.restartDelayMs = INFORMER_RESTART_BASE_MS;
    });
    this.informer.on("error", (error: unknown) => this.onInformerError(error));
  }

  /** Starts the informer; resolves after the first list, rejects if it cannot list. */
  async start(): Promise<void> {
    // client-node's start resolves even when the list fails (401, 403, TLS): it reports the error
    // to the "error" listeners only, after "connect" has already fired.
    let failure: unknown;
    const onFailure = (error: unknown): void => {
      failure ??= error;
    };
    this.informer.on("error", onFailure);
    try {
      await this.informer.start();
    } finally {
      this.informer.off("error", onFailure);
    }
    if (failure !== undefined) throw failure;
    this.state = { reachable: true, error: undefined };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    await this.informer.stop();
  }

  health(): WatchState {
    return this.state;
  }

  /** Deployments as last seen. */
  list(): readonly V1Deployment[] {
    return this.informer.list();
  }

  private onInformerError(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    this.state = { reachable: false, error: message };
    if (this.stopped) return;
    this.logger.warn(
      { cluster: this.clusterName, namespace: this.namespace, err: message, retryInMs: this.restartDelayMs },
      "deployment watch lost",
    );
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      this.informer.start().catch((restartError: unknown) => this.onInformerError(restartError));
    }, this.restartDelayMs);
    this.restartDelayMs = Math.min(this.restartDelayMs * 2, INFORMER_RESTART_MAX_MS);
  }
}
