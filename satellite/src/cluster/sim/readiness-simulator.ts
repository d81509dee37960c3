import {
  DEPLOYMENT_RESOURCE,
  type DeploymentObject,
  type DeploymentStatus,
  deploymentStatus,
  desiredReplicas,
  readyReplicas,
} from "./deployment-kind.js";
import type { KubeObject } from "./kube-object.js";
import type { ObjectStore } from "./object-store.js";
import { type ResourceKind, resourceKey } from "./resource-kind.js";
import type { ResourceService } from "./resource-service.js";

/** Per-Deployment override of the cluster's readiness delay, in milliseconds. */
export const READINESS_DELAY_ANNOTATION = "sentra.io/sim-readiness-delay-ms";
/** `"false"` makes a newly created Deployment start with no ready replicas (`"true"`: ready at once). */
export const START_READY_ANNOTATION = "sentra.io/sim-start-ready";
/** Time for new pods to become ready. @default 2000 */
export const DEFAULT_READINESS_DELAY_MS = 2000;
/**
 * Scale-down settles after `min(readinessDelayMs, SCALE_DOWN_DELAY_CAP_MS)`: removing pods does
 * not wait for readiness, but is not instantaneous either, so a watcher sees it as a separate
 * change after the spec write.
 */
export const SCALE_DOWN_DELAY_CAP_MS = 100;

/** Options of `ReadinessSimulator`. */
export interface ReadinessSimulatorOptions {
  /** @default DEFAULT_READINESS_DELAY_MS */
  readinessDelayMs?: number;
  /** Whether Deployments created through the API start ready (status equals spec). @default true */
  startReady?: boolean;
}

/** A Deployment held below full readiness by `failReadiness`. */
export interface ReadinessFailure {
  namespace: string;
  name: string;
  /** Ready replicas never exceed this. */
  maxReady: number;
}

/**
 * Plays the Deployment controller and the kubelets: when a Deployment's generation moves ahead
 * of `status.observedGeneration`, it writes a converged status after a delay (scale-up waits the
 * full readiness delay; scale-down and other changes at most `SCALE_DOWN_DELAY_CAP_MS`). A
 * readiness failure caps the ready count. Status writes go through the store, so each one bumps
 * the resourceVersion and reaches watchers as MODIFIED.
 */
export class ReadinessSimulator {
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #failures = new Map<string, ReadinessFailure>();
  readonly #startReady: boolean;
  #delayMs: number;
  #forceReady = false;
  #service: ResourceService | undefined;
  #kind: ResourceKind | undefined;
  #unsubscribe: (() => void) | undefined;

  constructor(options: ReadinessSimulatorOptions = {}) {
    this.#delayMs = checkDelay(options.readinessDelayMs ?? DEFAULT_READINESS_DELAY_MS);
    this.#startReady = options.startReady ?? true;
  }

  /** The cluster-wide readiness delay in milliseconds. */
  get readinessDelayMs(): number {
    return this.#delayMs;
  }

  /** Changes the cluster-wide delay; applies to changes scheduled from now on. */
  setReadinessDelay(ms: number): void {
    this.#delayMs = checkDelay(ms);
  }

  /**
   * Starts reacting to Deployment changes in `store`, writing status through `service` with the
   * registered Deployment `kind`. (The kind is built with `initialStatus` first, hence two steps.)
   */
  attach(store: ObjectStore, service: ResourceService, kind: ResourceKind): void {
    this.#service = service;
    this.#kind = kind;
    const deployments = resourceKey(DEPLOYMENT_RESOURCE);
    this.#unsubscribe = store.subscribe((event) => {
      if (event.resource !== deployments) return;
      const key = keyOf(event.object);
      if (event.type === "DELETED") {
        this.#cancel(key);
        return;
      }
      const generation = event.object.metadata.generation ?? 0;
      const observed = (event.object as DeploymentObject).status?.observedGeneration ?? 0;
      const specChanged = event.previous?.metadata.generation !== generation;
      // A metadata-only write while a change is pending must not restart the delay.
      if (observed < generation && (specChanged || !this.#timers.has(key))) this.#schedule(event.object);
    });
  }

  /** The status of a newly created Deployment: ready at once, or nothing ready yet. */
  initialStatus(deployment: DeploymentObject): DeploymentStatus {
    const flag = deployment.metadata.annotations?.[START_READY_ANNOTATION];
    const ready = this.#forceReady || (flag === undefined ? this.#startReady : flag !== "false");
    const desired = desiredReplicas(deployment);
    const generation = deployment.metadata.generation ?? 1;
    if (ready) return deploymentStatus(deployment, { desired, ready: desired, observedGeneration: generation });
    // Not observed yet: the first reconcile brings pods up after the readiness delay.
    return { observedGeneration: 0 };
  }

  /** Runs `create` with every Deployment it creates starting ready (seeding existing workloads). */
  withStartReady<T>(create: () => T): T {
    this.#forceReady = true;
    try {
      return create();
    } finally {
      this.#forceReady = false;
    }
  }

  /**
   * From now on the Deployment never has more ready replicas than `maxReady` (default: its
   * current ready count, 0 if it does not exist yet); scale-downs still apply.
   */
  failReadiness(namespace: string, name: string, maxReady?: number): ReadinessFailure {
    const current = this.#service && this.#kind ? this.#service.store.get(this.#kind, namespace, name) : undefined;
    const failure = { namespace, name, maxReady: maxReady ?? (current ? readyReplicas(current) : 0) };
    this.#failures.set(`${namespace}/${name}`, failure);
    return { ...failure };
  }

  /** Lifts the readiness failure of one Deployment, or of all; held-back Deployments then converge after the delay. */
  clearReadinessFailures(namespace?: string, name?: string): void {
    for (const [key, failure] of this.#failures) {
      if (
        (namespace === undefined || failure.namespace === namespace) &&
        (name === undefined || failure.name === name)
      ) {
        this.#failures.delete(key);
        const deployment = this.#service?.store.get(DEPLOYMENT_RESOURCE, failure.namespace, failure.name);
        if (deployment && readyReplicas(deployment) < desiredReplicas(deployment)) this.#schedule(deployment);
      }
    }
  }

  /** Current readiness failures. */
  readinessFailures(): ReadinessFailure[] {
    return [...this.#failures.values()].map((failure) => ({ ...failure }));
  }

  /** Deployments with a status change still pending. */
  pendingCount(): number {
    return this.#timers.size;
  }

  /** Stops following the store and cancels every pending change. */
  close(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }

  #schedule(deployment: KubeObject): void {
    const key = keyOf(deployment);
    this.#cancel(key);
    const fullDelay = delayOverride(deployment) ?? this.#delayMs;
    const scalingUp = desiredReplicas(deployment) > readyReplicas(deployment);
    const delay = scalingUp ? fullDelay : Math.min(fullDelay, SCALE_DOWN_DELAY_CAP_MS);
    const { namespace = "", name = "" } = deployment.metadata;
    const timer = setTimeout(() => {
      this.#timers.delete(key);
      this.#converge(namespace, name);
    }, delay);
    // The cluster's server keeps the process alive; a pending status change alone should not.
    timer.unref();
    this.#timers.set(key, timer);
  }

  #converge(namespace: string, name: string): void {
    const service = this.#service;
    const kind = this.#kind;
    if (!service || !kind) return;
    const current = service.store.get(kind, namespace, name) as DeploymentObject | undefined;
    if (!current) return;
    const desired = desiredReplicas(current);
    const cap = this.#failures.get(`${namespace}/${name}`)?.maxReady;
    const ready = cap === undefined ? desired : Math.min(desired, cap);
    const observedGeneration = current.metadata.generation ?? 1;
    service.writeStatus(
      kind,
      namespace,
      name,
      deploymentStatus(current, { desired, ready, observedGeneration }, current.status),
    );
  }

  #cancel(key: string): void {
    const timer = this.#timers.get(key);
    if (timer) clearTimeout(timer);
    this.#timers.delete(key);
  }
}

function keyOf(object: KubeObject): string {
  return `${object.metadata.namespace ?? ""}/${object.metadata.name ?? ""}`;
}

function delayOverride(deployment: KubeObject): number | undefined {
  const raw = deployment.metadata.annotations?.[READINESS_DELAY_ANNOTATION];
  if (raw === undefined) return undefined;
  const ms = Number(raw);
  return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}

function checkDelay(ms: number): number {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`readinessDelayMs must be a non-negative number, got ${ms}`);
  return ms;
}
