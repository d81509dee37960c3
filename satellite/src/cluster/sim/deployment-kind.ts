import { cloneJson, isPlainObject, jsonEqual, type KubeObject, kubeTimestamp } from "./kube-object.js";
import { formatMatchLabels } from "./label-selector.js";
import type { ResourceKind, ResourceRef, SubresourceHandler } from "./resource-kind.js";
import { invalid } from "./status-error.js";
import { ageCell } from "./table.js";

/** Where Deployments live. */
export const DEPLOYMENT_RESOURCE: ResourceRef = Object.freeze({
  group: "apps",
  version: "v1",
  resource: "deployments",
});

/** A container of a pod template (the fields the simulation and Sentra read). */
export interface ContainerSpec {
  name: string;
  image?: string;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  [key: string]: unknown;
}

/** `apps/v1` DeploymentSpec, loosely typed beyond the fields the simulation uses. */
export interface DeploymentSpec {
  replicas?: number;
  selector?: { matchLabels?: Record<string, string>; matchExpressions?: unknown[] };
  template?: {
    metadata?: { labels?: Record<string, string>; annotations?: Record<string, string>; [key: string]: unknown };
    spec?: { containers?: ContainerSpec[]; [key: string]: unknown };
  };
  [key: string]: unknown;
}

/** One entry of `status.conditions`. */
export interface DeploymentCondition {
  type: "Available" | "Progressing";
  status: "True" | "False";
  reason: string;
  message: string;
  lastUpdateTime: string;
  lastTransitionTime: string;
}

/** `apps/v1` DeploymentStatus. */
export interface DeploymentStatus {
  observedGeneration?: number;
  replicas?: number;
  updatedReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  unavailableReplicas?: number;
  conditions?: DeploymentCondition[];
}

/** An `apps/v1` Deployment as the store holds it. */
export interface DeploymentObject extends KubeObject {
  spec: DeploymentSpec;
  status?: DeploymentStatus;
}

/** The `autoscaling/v1` Scale view of a Deployment. */
export interface ScaleObject extends KubeObject {
  spec: { replicas?: number };
  status?: { replicas: number; selector?: string };
}

/** Annotation the server bumps when the pod template changes (what `kubectl rollout history` reads). */
export const REVISION_ANNOTATION = "deployment.kubernetes.io/revision";

/** `spec.replicas` with the server default of 1. */
export function desiredReplicas(deployment: KubeObject): number {
  const replicas = (deployment as DeploymentObject).spec?.replicas;
  return typeof replicas === "number" ? replicas : 1;
}

/** `status.readyReplicas`, 0 when absent (the API omits zero counts). */
export function readyReplicas(deployment: KubeObject): number {
  return (deployment as DeploymentObject).status?.readyReplicas ?? 0;
}

/**
 * The status a converged controller would report for `ready` ready pods out of `desired`,
 * observed at `generation`. Zero counts are omitted, as the API server does.
 */
export function deploymentStatus(
  deployment: DeploymentObject,
  counts: { desired: number; ready: number; observedGeneration: number },
  previous?: DeploymentStatus,
): DeploymentStatus {
  const { desired, ready } = counts;
  const now = kubeTimestamp();
  const maxUnavailable = Math.floor(desired / 4); // the default 25% RollingUpdate budget
  const available = ready >= desired - maxUnavailable;
  const complete = ready >= desired;
  const replicaSet = `${deployment.metadata.name ?? ""}-${templateHash(deployment)}`;
  const condition = (
    type: DeploymentCondition["type"],
    ok: boolean,
    reason: string,
    message: string,
  ): DeploymentCondition => {
    const before = previous?.conditions?.find((c) => c.type === type);
    const status = ok ? "True" : "False";
    const unchanged = before?.status === status && before.reason === reason;
    return {
      type,
      status,
      reason,
      message,
      lastUpdateTime: unchanged && before ? before.lastUpdateTime : now,
      lastTransitionTime: before?.status === status ? before.lastTransitionTime : now,
    };
  };
  const status: DeploymentStatus = {
    observedGeneration: counts.observedGeneration,
    conditions: [
      condition(
        "Available",
        available,
        available ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable",
        available ? "Deployment has minimum availability." : "Deployment does not have minimum availability.",
      ),
      condition(
        "Progressing",
        true,
        complete ? "NewReplicaSetAvailable" : "ReplicaSetUpdated",
        complete
          ? `ReplicaSet "${replicaSet}" has successfully progressed.`
          : `ReplicaSet "${replicaSet}" is progressing.`,
      ),
    ],
  };
  if (desired > 0) {
    status.replicas = desired;
    status.updatedReplicas = desired;
  }
  if (ready > 0) {
    status.readyReplicas = ready;
    status.availableReplicas = ready;
  }
  if (desired > ready) status.unavailableReplicas = desired - ready;
  return status;
}

/** Options of `createDeploymentKind`. */
export interface DeploymentKindOptions {
  /** Status of a newly created Deployment (the readiness simulator decides: ready at once or not). */
  initialStatus(deployment: DeploymentObject): DeploymentStatus;
}

/** The `apps/v1` Deployment kind: defaults, validation, the `scale` subresource and table columns. */
export function createDeploymentKind(options: DeploymentKindOptions): ResourceKind {
  return {
    ...DEPLOYMENT_RESOURCE,
    kind: "Deployment",
    singular: "deployment",
    namespaced: true,
    shortNames: ["deploy"],
    categories: ["all"],
    tracksGeneration: true,
    statusSubresource: true,
    admit(object, previous) {
      const deployment = validateDeployment(object as DeploymentObject, previous as DeploymentObject | undefined);
      const annotations = deployment.metadata.annotations ?? {};
      if (!previous) {
        annotations[REVISION_ANNOTATION] = "1";
        deployment.metadata.annotations = annotations;
        deployment.status = options.initialStatus(deployment);
      } else {
        const before = previous as DeploymentObject;
        const revision = Number(before.metadata.annotations?.[REVISION_ANNOTATION] ?? "1");
        const changed = !jsonEqual(before.spec.template, deployment.spec.template);
        annotations[REVISION_ANNOTATION] = String(changed ? revision + 1 : revision);
        deployment.metadata.annotations = annotations;
      }
      return deployment;
    },
    subresources: { scale: scaleSubresource },
    tableColumns: [
      {
        name: "Ready",
        type: "string",
        description: "Number of the pod with ready state",
        cell: (d) => `${readyReplicas(d)}/${desiredReplicas(d)}`,
      },
      {
        name: "Up-to-date",
        type: "string",
        description:
          "Total number of non-terminated pods targeted by this deployment that have the desired template spec.",
        cell: (d) => (d as DeploymentObject).status?.updatedReplicas ?? 0,
      },
      {
        name: "Available",
        type: "string",
        description: "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.",
        cell: (d) => (d as DeploymentObject).status?.availableReplicas ?? 0,
      },
      {
        name: "Age",
        type: "string",
        description: "CreationTimestamp is a timestamp representing the server time when this object was created.",
        cell: ageCell,
      },
      {
        name: "Containers",
        type: "string",
        priority: 1,
        description: "Names of each container in the template.",
        cell: (d) =>
          containers(d)
            .map((c) => c.name)
            .join(","),
      },
      {
        name: "Images",
        type: "string",
        priority: 1,
        description: "Images referenced by each container in the template.",
        cell: (d) =>
          containers(d)
            .map((c) => c.image ?? "")
            .join(","),
      },
      {
        name: "Selector",
        type: "string",
        priority: 1,
        description: "Label selector for pods.",
        cell: (d) => formatMatchLabels((d as DeploymentObject).spec.selector?.matchLabels),
      },
    ],
  };
}

/** `deployments/scale`: an `autoscaling/v1` Scale whose `spec.replicas` is the Deployment's. */
const scaleSubresource: SubresourceHandler = {
  kind: "Scale",
  group: "autoscaling",
  version: "v1",
  verbs: ["get", "patch", "update"],
  view(object): ScaleObject {
    const deployment = object as DeploymentObject;
    const { name, namespace, uid, resourceVersion, creationTimestamp } = deployment.metadata;
    return {
      kind: "Scale",
      apiVersion: "autoscaling/v1",
      metadata: { name, namespace, uid, resourceVersion, creationTimestamp },
      spec: { replicas: desiredReplicas(deployment) },
      status: {
        replicas: deployment.status?.replicas ?? 0,
        selector: formatMatchLabels(deployment.spec.selector?.matchLabels),
      },
    };
  },
  apply(current, view) {
    const scale = view as ScaleObject;
    const replicas = isPlainObject(scale.spec) ? scale.spec.replicas : undefined;
    const name = current.metadata.name ?? "";
    if (replicas !== undefined && !isNonNegativeInteger(replicas)) {
      throw invalid(
        "Scale",
        "autoscaling",
        name,
        "spec.replicas",
        `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`,
      );
    }
    const next = cloneJson(current) as DeploymentObject;
    next.spec.replicas = replicas ?? 0;
    // The Scale's resourceVersion is the Deployment's: it carries the client's precondition.
    if (scale.metadata?.resourceVersion === undefined) delete next.metadata.resourceVersion;
    else next.metadata.resourceVersion = scale.metadata.resourceVersion;
    return next;
  },
};

function validateDeployment(object: DeploymentObject, previous: DeploymentObject | undefined): DeploymentObject {
  const name = object.metadata.name ?? "";
  const fail = (field: string, message: string) => invalid("Deployment", "apps", name, field, message);
  if (!isPlainObject(object.spec)) throw fail("spec", "Required value");
  const spec = object.spec;
  if (spec.replicas === undefined) spec.replicas = 1;
  if (!isNonNegativeInteger(spec.replicas)) {
    throw fail("spec.replicas", `Invalid value: ${JSON.stringify(spec.replicas)}: must be greater than or equal to 0`);
  }
  const matchLabels = spec.selector?.matchLabels ?? {};
  if (
    !isPlainObject(spec.selector) ||
    (Object.keys(matchLabels).length === 0 && !spec.selector.matchExpressions?.length)
  ) {
    throw fail("spec.selector", "Required value");
  }
  const templateLabels = spec.template?.metadata?.labels ?? {};
  if (Object.entries(matchLabels).some(([key, value]) => templateLabels[key] !== value)) {
    throw fail(
      "spec.template.metadata.labels",
      `Invalid value: ${JSON.stringify(templateLabels)}: \`selector\` does not match template \`labels\``,
    );
  }
  const podContainers = spec.template?.spec?.containers;
  if (!Array.isArray(podContainers) || podContainers.length === 0) {
    throw fail("spec.template.spec.containers", "Required value");
  }
  if (previous && !jsonEqual(previous.spec.selector, spec.selector)) {
    throw fail("spec.selector", "Invalid value: field is immutable");
  }
  spec.strategy ??= { type: "RollingUpdate", rollingUpdate: { maxUnavailable: "25%", maxSurge: "25%" } };
  spec.revisionHistoryLimit ??= 10;
  spec.progressDeadlineSeconds ??= 600;
  return object;
}

function containers(deployment: KubeObject): ContainerSpec[] {
  return (deployment as DeploymentObject).spec.template?.spec?.containers ?? [];
}

function isNonNegativeInteger(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0;
}

/** A stable short hash of the pod template, standing in for the ReplicaSet's pod-template-hash. */
function templateHash(deployment: DeploymentObject): string {
  let hash = 2166136261;
  for (const char of JSON.stringify(deployment.spec.template ?? {})) {
    hash = Math.imul(hash ^ char.charCodeAt(0), 16777619) >>> 0;
  }
  return hash.toString(36).padStart(7, "0").slice(-10);
}
