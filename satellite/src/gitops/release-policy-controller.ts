import { createHash } from "node:crypto";
import type { CoreV1Event, V1Deployment, V1PodTemplateSpec, V1Service } from "@kubernetes/client-node";
import { type Logger, SentraError } from "@sentra/common";
import { type Rollout, RolloutPhase } from "@sentra/proto";
import { Counter, Gauge, type Registry } from "prom-client";
import type { ClusterRegistry } from "../cluster/cluster-registry.js";
import type { KubeCluster } from "../cluster/kube-cluster.js";
import type { StartRolloutInput } from "../release-guard/release-guard.js";
import { RELEASE_POLICY_KIND, RELEASE_POLICY_RESOURCE, RELEASE_POLICY_VERSION } from "./release-policy-crd.js";
import {
  type ReleasePolicyCondition,
  type ReleasePolicyObject,
  type ReleasePolicySpec,
  type ReleasePolicyStatus,
  readReleasePolicySpec,
} from "./release-policy-spec.js";

/** @default 2000 — how often ReleasePolicies and their targets are looked at (a template change starts a rollout within this). */
export const DEFAULT_RELEASE_POLICY_INTERVAL_MS = 2_000;
/** The two slot Deployments a ReleasePolicy alternates between: `<service>-blue` and `<service>-green`. */
export const RELEASE_SLOTS = ["blue", "green"] as const;
export type ReleaseSlot = (typeof RELEASE_SLOTS)[number];
/** Pod label telling the slots apart (Service selectors). */
export const SLOT_LABEL = "sentra.io/slot";
/** Pod label the gate queries' `version` comes from (docs/release-guard.md): the slot's name. */
export const VERSION_LABEL = "app.kubernetes.io/version";
/** Annotation on slot Deployments naming the ReleasePolicy that owns them. */
export const OWNER_ANNOTATION = "sentra.io/release-policy";
const TEMPLATE_HASH_ANNOTATION = "sentra.io/template-hash";
const COMPONENT = "sentra-satellite";

const TERMINAL_PHASES = new Set([
  RolloutPhase.PROMOTED,
  RolloutPhase.ROLLED_BACK,
  RolloutPhase.ABORTED,
  RolloutPhase.FAILED,
]);

/** How the status names a rollout phase (`kubectl get releasepolicies`). */
const PHASE_LABEL: Record<RolloutPhase, string> = {
  [RolloutPhase.UNSPECIFIED]: "Unknown",
  [RolloutPhase.PENDING]: "Progressing",
  [RolloutPhase.WARMING_UP]: "Progressing",
  [RolloutPhase.PROGRESSING]: "Progressing",
  [RolloutPhase.PAUSED]: "Paused",
  [RolloutPhase.PROMOTED]: "Promoted",
  [RolloutPhase.ROLLING_BACK]: "RollingBack",
  [RolloutPhase.ROLLED_BACK]: "RolledBack",
  [RolloutPhase.ABORTED]: "Aborted",
  [RolloutPhase.FAILED]: "Failed",
};

/** What the controller needs of the release guard. */
export interface ReleaseStarter {
  start(input: StartRolloutInput): Promise<{ rollout: Rollout; replayed: boolean }>;
  get(rolloutId: string): Rollout;
}

export interface ReleasePolicyControllerOptions {
  readonly satelliteId: string;
  readonly clusters: Pick<ClusterRegistry, "get" | "names">;
  readonly guard: ReleaseStarter;
  readonly logger: Logger;
  readonly registry: Registry;
  /** @default DEFAULT_RELEASE_POLICY_INTERVAL_MS */
  readonly intervalMs?: number;
}

/**
 * The GitOps trigger (Flagger-style): for every `ReleasePolicy` in the satellite's clusters, a
 * change of its target Deployment's pod template — what Argo CD or Flux applies from git — starts
 * a guarded rollout by itself. The target only holds the template: the controller copies it into
 * two slot Deployments, `<service>-blue` and `<service>-green`, each behind its own Service, and
 * releases a new template into the idle slot while the route moves traffic to it step by step.
 * Phase, step, weight and the last decision go to the resource's `status`; Kubernetes Events
 * record each start and end. Its memory is the status, so it picks up where it was after a
 * restart, and rollout ids are derived from it, so a start repeated after a crash is a replay.
 */
export class ReleasePolicyController {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private closed = false;
  /** Clusters where the CRD is not installed, logged once each. */
  private readonly missingCrd = new Set<string>();
  private readonly log: Logger;
  private readonly reconciles: Counter<"outcome">;
  private readonly policies: Gauge<"phase">;
  private readonly started: Counter<"cluster">;
  private lastPhases = new Map<string, number>();

  constructor(private readonly options: ReleasePolicyControllerOptions) {
    this.log = options.logger.child({ component: "release-policies" });
    this.reconciles = new Counter({
      name: "sentra_satellite_release_policy_reconciles_total",
      help: "ReleasePolicy reconciliations by outcome (ok, invalid, error)",
      labelNames: ["outcome"],
      registers: [options.registry],
    });
    this.policies = new Gauge({
      name: "sentra_satellite_release_policies",
      help: "ReleasePolicies in the satellite's clusters by status phase",
      labelNames: ["phase"],
      registers: [options.registry],
    });
    this.started = new Counter({
      name: "sentra_satellite_release_policy_rollouts_started_total",
      help: "Rollouts started because a ReleasePolicy's target changed its pod template",
      labelNames: ["cluster"],
      registers: [options.registry],
    });
  }

  /** Reconciles now and then every interval; one pass at a time. */
  start(): void {
    const interval = this.options.intervalMs ?? DEFAULT_RELEASE_POLICY_INTERVAL_MS;
    const loop = (): void => {
      if (this.closed) return;
      this.running = this.reconcileAll().finally(() => {
        if (!this.closed) this.timer = setTimeout(loop, interval);
      });
    };
    loop();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** One pass over every cluster's ReleasePolicies. Never rejects: problems are logged and counted. */
  async reconcileAll(): Promise<void> {
    const phases = new Map<string, number>();
    for (const clusterName of this.options.clusters.names()) {
      const cluster = this.options.clusters.get(clusterName);
      let objects: ReleasePolicyObject[];
      try {
        objects = await cluster.listCustomObjects<ReleasePolicyObject>(RELEASE_POLICY_RESOURCE);
        if (this.missingCrd.delete(clusterName)) this.log.info({ cluster: clusterName }, "ReleasePolicy CRD found");
      } catch (error) {
        const failure = SentraError.from(error);
        if (failure.code === "NOT_FOUND") {
          if (!this.missingCrd.has(clusterName)) {
            this.missingCrd.add(clusterName);
            this.log.info(
              { cluster: clusterName },
              "ReleasePolicy CRD not installed: no GitOps trigger in this cluster (install the chart's CRD)",
            );
          }
        } else {
          this.reconciles.inc({ outcome: "error" });
          this.log.warn({ cluster: clusterName, err: failure.message }, "cannot list ReleasePolicies");
        }
        continue;
      }
      for (const object of objects) {
        let phase = "Unknown";
        try {
          phase = await this.reconcile(cluster, object);
          this.reconciles.inc({ outcome: phase === "Invalid" ? "invalid" : "ok" });
        } catch (error) {
          this.reconciles.inc({ outcome: "error" });
          this.log.warn(
            { cluster: clusterName, releasePolicy: nameOf(object), err: SentraError.from(error).message },
            "ReleasePolicy reconcile failed; retried next pass",
          );
          phase = object.status?.phase ?? "Unknown";
        }
        phases.set(phase, (phases.get(phase) ?? 0) + 1);
      }
    }
    for (const phase of this.lastPhases.keys()) if (!phases.has(phase)) this.policies.set({ phase }, 0);
    for (const [phase, count] of phases) this.policies.set({ phase }, count);
    this.lastPhases = phases;
  }

  /** Moves one ReleasePolicy on by one step; returns its phase. */
  private async reconcile(cluster: KubeCluster, object: ReleasePolicyObject): Promise<string> {
    const namespace = object.metadata.namespace ?? "default";
    const status = object.status ?? {};
    const generation = object.metadata.generation ?? 0;
    const read = readReleasePolicySpec(object);
    if (!read.ok) {
      const message = read.problems.join("; ");
      if (status.phase !== "Invalid" || status.message !== message || status.observedGeneration !== generation) {
        await this.writeStatus(cluster, object, {
          phase: "Invalid",
          message,
          conditions: [condition(object, "Ready", "False", "InvalidSpec", message)],
        });
        await this.event(cluster, object, "Warning", "InvalidSpec", message);
      }
      return "Invalid";
    }
    const spec = read.spec;

    if (status.rolloutId && status.rolloutActive) return this.follow(cluster, object, spec, status);

    const target = cluster
      .deployments()
      .find(
        (deployment) => deployment.metadata?.namespace === namespace && deployment.metadata?.name === spec.targetName,
      );
    const template = target?.spec?.template;
    if (target === undefined || template === undefined) {
      const message = `Deployment ${namespace}/${spec.targetName} not found`;
      if (status.message !== message) {
        await this.writeStatus(cluster, object, {
          phase: status.stableTemplateHash ? status.phase : "Waiting",
          message,
          conditions: [condition(object, "Ready", "False", "TargetNotFound", message)],
        });
      }
      return status.stableTemplateHash ? (status.phase ?? "Waiting") : "Waiting";
    }
    const hash = templateHash(template);
    const targetReplicas = target.spec?.replicas ?? 1;
    // The target only holds the template; what git asks of its replicas is what each slot runs.
    const replicas = spec.replicas ?? (targetReplicas > 0 ? targetReplicas : (status.replicas ?? 1));
    if (targetReplicas > 0) {
      await cluster.scaleDeployment(namespace, spec.targetName, 0, { [OWNER_ANNOTATION]: nameOf(object) });
    }

    if (!status.stableTemplateHash) return this.adopt(cluster, object, spec, target, hash, replicas);

    const stableSlot = slotOf(status.stableSlot);
    if (hash === status.stableTemplateHash) {
      // Back on the stable template (e.g. git reverted the bad change): a later change may release.
      if (status.failedTemplateHash || status.refusedTemplateHash || replicas !== status.replicas) {
        await this.writeStatus(cluster, object, {
          failedTemplateHash: null,
          refusedTemplateHash: null,
          refusedGeneration: null,
          replicas,
          message: `serving the stable template from ${slotName(spec, stableSlot)}`,
          conditions: [condition(object, "Ready", "True", "Stable", "the target's template is the stable one")],
        });
        if (replicas !== status.replicas) await this.scaleSlot(cluster, namespace, spec, stableSlot, replicas);
      }
      return status.phase ?? "Promoted";
    }
    if (hash === status.failedTemplateHash) return status.phase ?? "RolledBack";
    if (hash === status.refusedTemplateHash && generation === status.refusedGeneration)
      return status.phase ?? "Refused";
    if (spec.suspend) {
      if (status.phase !== "Suspended") {
        await this.writeStatus(cluster, object, { phase: "Suspended", message: "spec.suspend is set: not releasing" });
      }
      return "Suspended";
    }
    return this.release(cluster, object, spec, target, hash, replicas, stableSlot, status);
  }

  /** First sight: the target's template becomes the stable slot `blue`, behind its Service. */
  private async adopt(
    cluster: KubeCluster,
    object: ReleasePolicyObject,
    spec: ReleasePolicySpec,
    target: V1Deployment,
    hash: string,
    replicas: number,
  ): Promise<string> {
    const namespace = object.metadata.namespace ?? "default";
    await this.ensureSlotServices(cluster, namespace, spec, target);
    await cluster.applyDeployment(namespace, slotDeployment(object, spec, target, "blue", replicas, hash));
    const message = `serving the template of deployment/${spec.targetName} from ${slotName(spec, "blue")}; route ${spec.routeName} to the Service ${slotName(spec, "blue")}`;
    await this.writeStatus(cluster, object, {
      phase: "Initialized",
      stableSlot: "blue",
      stableTemplateHash: hash,
      stableImages: imagesOf(target.spec?.template),
      replicas,
      releases: object.status?.releases ?? 0,
      message,
      conditions: [condition(object, "Ready", "True", "Initialized", message)],
    });
    await this.event(cluster, object, "Normal", "Initialized", message);
    return "Initialized";
  }

  /** A new template: into the idle slot, and a guarded rollout from the stable slot to it. */
  private async release(
    cluster: KubeCluster,
    object: ReleasePolicyObject,
    spec: ReleasePolicySpec,
    target: V1Deployment,
    hash: string,
    replicas: number,
    stableSlot: ReleaseSlot,
    status: ReleasePolicyStatus,
  ): Promise<string> {
    const namespace = object.metadata.namespace ?? "default";
    const canarySlot = otherSlot(stableSlot);
    const releases = (status.releases ?? 0) + 1;
    const rolloutId = rolloutIdOf(namespace, object.metadata.name ?? "", releases);
    const images = imagesOf(target.spec?.template);
    await this.ensureSlotServices(cluster, namespace, spec, target);
    await cluster.applyDeployment(namespace, slotDeployment(object, spec, target, canarySlot, replicas, hash));
    let rollout: Rollout;
    try {
      ({ rollout } = await this.options.guard.start({
        rolloutId,
        cluster: cluster.name,
        namespace,
        service: spec.service,
        stableVersion: stableSlot,
        canaryVersion: canarySlot,
        policyYaml: spec.policyYaml,
        router: spec.router,
        routeName: spec.routeName,
        parentId: "",
      }));
    } catch (error) {
      const message = `rollout of ${images} refused: ${SentraError.from(error).message}`;
      await cluster.scaleDeployment(namespace, slotName(spec, canarySlot), 0, {});
      await this.writeStatus(cluster, object, {
        phase: "Refused",
        refusedTemplateHash: hash,
        refusedGeneration: object.metadata.generation ?? 0,
        message,
        conditions: [condition(object, "Ready", "False", "RolloutRefused", message)],
      });
      await this.event(cluster, object, "Warning", "RolloutRefused", message);
      return "Refused";
    }
    this.started.inc({ cluster: cluster.name });
    const message = `pod template of deployment/${spec.targetName} changed (${images}): rollout ${rolloutId} from ${slotName(spec, stableSlot)} to ${slotName(spec, canarySlot)}`;
    this.log.info(
      { cluster: cluster.name, releasePolicy: nameOf(object), rollout: rolloutId, images },
      "release started",
    );
    await this.writeStatus(cluster, object, {
      ...progressOf(rollout),
      rolloutId,
      rolloutActive: true,
      releases,
      canaryTemplateHash: hash,
      canaryImages: images,
      refusedTemplateHash: null,
      refusedGeneration: null,
      message,
      conditions: [condition(object, "Ready", "True", "Releasing", message)],
    });
    await this.event(cluster, object, "Normal", "RolloutStarted", message);
    return PHASE_LABEL[rollout.phase];
  }

  /** A rollout in flight: its progress into the status; at its end, the slots swap or the canary stops. */
  private async follow(
    cluster: KubeCluster,
    object: ReleasePolicyObject,
    spec: ReleasePolicySpec,
    status: ReleasePolicyStatus,
  ): Promise<string> {
    const namespace = object.metadata.namespace ?? "default";
    const rolloutId = status.rolloutId ?? "";
    let rollout: Rollout;
    try {
      rollout = this.options.guard.get(rolloutId);
    } catch (error) {
      if (SentraError.from(error).code !== "NOT_FOUND") throw error;
      // Lost with the satellite's event stream: nothing guards the canary any more.
      const message = `rollout ${rolloutId} is gone from this satellite; its canary slot is stopped`;
      await cluster.scaleDeployment(namespace, slotName(spec, otherSlot(slotOf(status.stableSlot))), 0, {});
      await this.writeStatus(cluster, object, {
        phase: "Failed",
        rolloutActive: false,
        failedTemplateHash: status.canaryTemplateHash ?? null,
        message,
        conditions: [condition(object, "Ready", "False", "RolloutLost", message)],
      });
      await this.event(cluster, object, "Warning", "RolloutLost", message);
      return "Failed";
    }
    const progress = progressOf(rollout);
    if (!TERMINAL_PHASES.has(rollout.phase)) {
      if (
        progress.phase !== status.phase ||
        progress.canaryWeight !== status.canaryWeight ||
        progress.step !== status.step ||
        progress.lastDecision !== status.lastDecision
      ) {
        await this.writeStatus(cluster, object, progress);
      }
      return progress.phase;
    }
    const stableSlot = slotOf(status.stableSlot);
    const canarySlot = otherSlot(stableSlot);
    if (rollout.phase === RolloutPhase.PROMOTED) {
      // All traffic is on the canary slot: it is the stable one now, and the old slot idles.
      await cluster.scaleDeployment(namespace, slotName(spec, stableSlot), 0, {});
      const message = `released ${status.canaryImages ?? "the new template"}: ${slotName(spec, canarySlot)} serves 100 %`;
      await this.writeStatus(cluster, object, {
        ...progress,
        rolloutActive: false,
        stableSlot: canarySlot,
        stableTemplateHash: status.canaryTemplateHash ?? null,
        stableImages: status.canaryImages ?? null,
        failedTemplateHash: null,
        message,
        conditions: [condition(object, "Ready", "True", "Promoted", message)],
      });
      await this.event(cluster, object, "Normal", "Promoted", message);
      return "Promoted";
    }
    await cluster.scaleDeployment(namespace, slotName(spec, canarySlot), 0, {});
    const message = `${progress.phase.toLowerCase()}: ${rollout.message || "traffic is back on the stable slot"}; the template stays unreleased until it changes`;
    await this.writeStatus(cluster, object, {
      ...progress,
      rolloutActive: false,
      failedTemplateHash: status.canaryTemplateHash ?? null,
      message,
      conditions: [condition(object, "Ready", "False", progress.phase, message)],
    });
    await this.event(cluster, object, "Warning", progress.phase, message);
    return progress.phase;
  }

  private async ensureSlotServices(
    cluster: KubeCluster,
    namespace: string,
    spec: ReleasePolicySpec,
    target: V1Deployment,
  ): Promise<void> {
    const shared = await cluster.findService(namespace, spec.service);
    for (const slot of RELEASE_SLOTS) await cluster.ensureService(namespace, slotService(spec, target, slot, shared));
  }

  private async scaleSlot(
    cluster: KubeCluster,
    namespace: string,
    spec: ReleasePolicySpec,
    slot: ReleaseSlot,
    replicas: number,
  ): Promise<void> {
    await cluster.scaleDeployment(namespace, slotName(spec, slot), replicas, {});
  }

  private async writeStatus(
    cluster: KubeCluster,
    object: ReleasePolicyObject,
    changes: { [K in keyof ReleasePolicyStatus]?: ReleasePolicyStatus[K] | null },
  ): Promise<void> {
    const status = { ...changes, observedGeneration: object.metadata.generation ?? 0 };
    await cluster.patchCustomObjectStatus(
      RELEASE_POLICY_RESOURCE,
      object.metadata.namespace ?? "default",
      object.metadata.name ?? "",
      status,
    );
    // The next step of this pass reads what was just written.
    const next: Record<string, unknown> = { ...object.status };
    for (const [key, value] of Object.entries(status)) {
      if (value === null) delete next[key];
      else next[key] = value;
    }
    object.status = next as ReleasePolicyStatus;
  }

  private async event(
    cluster: KubeCluster,
    object: ReleasePolicyObject,
    type: "Normal" | "Warning",
    reason: string,
    message: string,
  ): Promise<void> {
    const namespace = object.metadata.namespace ?? "default";
    const now = new Date();
    const event: CoreV1Event = {
      metadata: { namespace, generateName: `${object.metadata.name ?? "releasepolicy"}.` },
      involvedObject: {
        apiVersion: `${RELEASE_POLICY_RESOURCE.group}/${RELEASE_POLICY_VERSION}`,
        kind: RELEASE_POLICY_KIND,
        name: object.metadata.name ?? "",
        namespace,
        ...(object.metadata.uid ? { uid: object.metadata.uid } : {}),
        ...(object.metadata.resourceVersion ? { resourceVersion: object.metadata.resourceVersion } : {}),
      },
      type,
      reason,
      message: message.slice(0, 1024),
      source: { component: COMPONENT, host: this.options.satelliteId },
      reportingComponent: COMPONENT,
      reportingInstance: this.options.satelliteId,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    };
    try {
      await cluster.createEvent(namespace, event);
    } catch (error) {
      // An Event is a courtesy: the status carries the same facts.
      this.log.warn(
        { releasePolicy: nameOf(object), reason, err: SentraError.from(error).message },
        "cannot record event",
      );
    }
  }
}

/** The status fields a rollout's progress sets. */
function progressOf(rollout: Rollout): { phase: string; canaryWeight: number; step: string; lastDecision: string } {
  const decision = rollout.lastDecision;
  return {
    phase: PHASE_LABEL[rollout.phase] ?? "Unknown",
    canaryWeight: rollout.canaryWeight,
    step:
      rollout.steps.length > 0
        ? `${Math.min(rollout.stepIndex + 1, rollout.steps.length)}/${rollout.steps.length}`
        : "",
    lastDecision: decision ? decision.decision : "",
  };
}

function condition(
  object: ReleasePolicyObject,
  type: string,
  status: ReleasePolicyCondition["status"],
  reason: string,
  message: string,
): ReleasePolicyCondition {
  const previous = object.status?.conditions?.find((entry) => entry.type === type);
  return {
    type,
    status,
    reason,
    message,
    // Kubernetes convention: the time changes only when the status does.
    lastTransitionTime: previous && previous.status === status ? previous.lastTransitionTime : new Date().toISOString(),
    observedGeneration: object.metadata.generation ?? 0,
  };
}

/** A stable digest of a pod template (keys sorted), what "the template changed" means. */
export function templateHash(template: V1PodTemplateSpec): string {
  return createHash("sha256").update(canonicalJson(template)).digest("hex").slice(0, 16);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, child]) => child !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, child]) => `${JSON.stringify(key)}:${canonicalJson(child)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** `rp-<namespace>-<name>-<n>`, or a digest of namespace/name when that is too long for a rollout id (48). */
export function rolloutIdOf(namespace: string, name: string, release: number): string {
  const plain = `rp-${namespace}-${name}-${release}`;
  if (plain.length <= 48) return plain;
  const digest = createHash("sha256").update(`${namespace}/${name}`).digest("hex").slice(0, 16);
  return `rp-${digest}-${release}`;
}

function slotOf(value: string | undefined): ReleaseSlot {
  return value === "green" ? "green" : "blue";
}

function otherSlot(slot: ReleaseSlot): ReleaseSlot {
  return slot === "blue" ? "green" : "blue";
}

export function slotName(spec: Pick<ReleasePolicySpec, "service">, slot: ReleaseSlot): string {
  return `${spec.service}-${slot}`;
}

function nameOf(object: ReleasePolicyObject): string {
  return `${object.metadata.namespace ?? "default"}/${object.metadata.name ?? ""}`;
}

function imagesOf(template: V1PodTemplateSpec | undefined): string {
  return (template?.spec?.containers ?? []).map((container) => container.image ?? "?").join(",") || "no image";
}

function selectorOf(target: V1Deployment, slot: ReleaseSlot): Record<string, string> {
  return { ...target.spec?.selector?.matchLabels, [SLOT_LABEL]: slot };
}

/** A slot Deployment: the target's pod template, labelled with its slot (and the slot as the gates' version). */
function slotDeployment(
  object: ReleasePolicyObject,
  spec: ReleasePolicySpec,
  target: V1Deployment,
  slot: ReleaseSlot,
  replicas: number,
  hash: string,
): V1Deployment {
  const template = structuredClone(target.spec?.template ?? {});
  const selector = selectorOf(target, slot);
  template.metadata = {
    ...template.metadata,
    labels: { ...template.metadata?.labels, ...selector, [VERSION_LABEL]: slot },
  };
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: {
      name: slotName(spec, slot),
      namespace: object.metadata.namespace ?? "default",
      labels: { ...target.metadata?.labels, [SLOT_LABEL]: slot, "app.kubernetes.io/managed-by": COMPONENT },
      annotations: { [OWNER_ANNOTATION]: nameOf(object), [TEMPLATE_HASH_ANNOTATION]: hash },
    },
    spec: { replicas, selector: { matchLabels: selector }, template },
  };
}

/** A slot's Service: the ports of the service's own Service (else the containers'), selecting the slot's pods. */
function slotService(
  spec: ReleasePolicySpec,
  target: V1Deployment,
  slot: ReleaseSlot,
  shared: V1Service | undefined,
): V1Service {
  const containerPorts = (target.spec?.template?.spec?.containers ?? []).flatMap((container) => container.ports ?? []);
  const ports =
    shared?.spec?.ports?.map((port) => ({
      ...(port.name ? { name: port.name } : {}),
      port: port.port,
      ...(port.targetPort === undefined ? {} : { targetPort: port.targetPort }),
      protocol: port.protocol ?? "TCP",
    })) ??
    containerPorts.map((port) => ({
      ...(port.name ? { name: port.name } : {}),
      port: port.containerPort,
      targetPort: port.containerPort,
      protocol: port.protocol ?? "TCP",
    }));
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: {
      name: slotName(spec, slot),
      labels: { [SLOT_LABEL]: slot, "app.kubernetes.io/managed-by": COMPONENT },
    },
    spec: {
      selector: selectorOf(target, slot),
      ports: ports.length > 0 ? ports : [{ name: "http", port: 80, targetPort: 8080, protocol: "TCP" }],
    },
  };
}
