import { SentraError } from "@sentra/common";
import {
  type SatelliteService,
  type ScaleWorkloadResponse,
  type ServiceImplementation,
  type WorkloadRef,
} from "@sentra/proto";
import type { ClusterRegistry } from "../cluster/cluster-registry.js";
import type { KubeCluster } from "../cluster/kube-cluster.js";
import type { SatelliteIdentity } from "../satellite-identity.js";
import { toWorkload } from "../workload/workload-mapper.js";
import { IdempotencyCache } from "./idempotency-cache.js";
import type { RolloutMethod } from "./rollout-handlers.js";

/** Annotation holding the idempotency key of the last command applied to a Deployment. */
export const LAST_COMMAND_ANNOTATION = "sentra.io/last-command";
/** Annotation holding the replicas the Deployment had before that command. */
export const LAST_COMMAND_PREVIOUS_REPLICAS_ANNOTATION = "sentra.io/last-command-previous-replicas";
/**
 * Annotation holding, as JSON `{ "<estate scope>": "<token>" }`, the highest fencing token each
 * coordinator estate's commands carried to this Deployment. On the Deployment (not in memory) so a
 * restarted satellite, or another satellite managing the same cluster, still refuses older tokens;
 * written in the same resourceVersion-checked patch as the command, so check and record are atomic.
 */
export const FENCING_TOKENS_ANNOTATION = "sentra.io/fencing-tokens";

/**
 * Read-decide-patch rounds of one scale command when the Deployment keeps changing between the read
 * and the patch (409 on its resourceVersion). @default 5
 */
export const MAX_SCALE_ATTEMPTS = 5;
/** Upper bound on replicas one command may ask for; protects clusters from typos. @default 1000 */
export const MAX_REPLICAS = 1_000;

/**
 * The SatelliteService handlers: inventory from the informer caches, commands through client-node.
 * The rollout methods are the release guard's (`createRolloutHandlers`).
 */
export function createSatelliteServiceHandlers(
  identity: SatelliteIdentity,
  clusters: ClusterRegistry,
): Omit<ServiceImplementation<typeof SatelliteService>, RolloutMethod> {
  const scaleResults = new IdempotencyCache<ScaleWorkloadResponse>();
  const locate = (ref: WorkloadRef | undefined): { cluster: KubeCluster; namespace: string; name: string } => {
    if (!ref) throw SentraError.invalidArgument("workload", "is required");
    if (ref.satelliteId && ref.satelliteId !== identity.satelliteId) {
      throw SentraError.invalidArgument(
        "workload.satellite_id",
        `this is satellite ${identity.satelliteId}, not ${ref.satelliteId}`,
      );
    }
    if (!ref.namespace) throw SentraError.invalidArgument("workload.namespace", "is required");
    if (!ref.name) throw SentraError.invalidArgument("workload.name", "is required");
    const clusterName = ref.cluster || (clusters.names().length === 1 ? clusters.names()[0] : undefined);
    if (!clusterName)
      throw SentraError.invalidArgument("workload.cluster", "is required when a satellite manages several clusters");
    return { cluster: clusters.get(clusterName), namespace: ref.namespace, name: ref.name };
  };
  const location = (cluster: string) => ({
    satelliteId: identity.satelliteId,
    cluster,
    region: identity.region.name,
    cloud: identity.region.cloud,
  });

  return {
    async getSatelliteInfo() {
      return {
        satelliteId: identity.satelliteId,
        region: identity.region,
        clusters: clusters.names(),
        version: identity.version,
      };
    },

    async listWorkloads(request) {
      const selected = request.cluster ? [clusters.get(request.cluster)] : clusters.all();
      const now = new Date();
      const workloads = selected.flatMap((cluster) =>
        cluster
          .deployments()
          .filter((deployment) => !request.namespace || deployment.metadata?.namespace === request.namespace)
          .map((deployment) => toWorkload(deployment, location(cluster.name), now)),
      );
      workloads.sort((a, b) =>
        `${a.ref?.cluster}/${a.ref?.namespace}/${a.ref?.name}`.localeCompare(
          `${b.ref?.cluster}/${b.ref?.namespace}/${b.ref?.name}`,
        ),
      );
      return { workloads };
    },

    async getWorkload(request) {
      const { cluster, namespace, name } = locate(request.workload);
      const deployment = await cluster.getDeployment(namespace, name);
      return { workload: toWorkload(deployment, location(cluster.name)) };
    },

    async scaleWorkload(request) {
      const { cluster, namespace, name } = locate(request.workload);
      if (!request.idempotencyKey)
        throw SentraError.invalidArgument("idempotency_key", "is required for a mutating call");
      if (request.idempotencyKey.length > 200)
        throw SentraError.invalidArgument("idempotency_key", "is longer than 200 characters");
      if (request.replicas > MAX_REPLICAS)
        throw SentraError.invalidArgument("replicas", `must be at most ${MAX_REPLICAS}`);
      const key = `${cluster.name}/${namespace}/${name}/${request.idempotencyKey}`;
      return scaleResults.run(
        key,
        async () => {
          // Read, decide, then patch with the resourceVersion read: a Deployment someone changed in
          // between answers 409 and the command is decided again on what it holds now.
          for (let attempt = 1; ; attempt++) {
            const current = await cluster.getDeployment(namespace, name);
            const annotations = current.metadata?.annotations ?? {};
            const fencing = checkFencing(
              request.fencingScope,
              request.fencingToken,
              annotations[FENCING_TOKENS_ANNOTATION],
              `${namespace}/${name}`,
            );
            // The key on the Deployment itself survives a satellite restart: the command already ran.
            if (annotations[LAST_COMMAND_ANNOTATION] === request.idempotencyKey) {
              return {
                workload: toWorkload(current, location(cluster.name)),
                previousReplicas: Number(
                  annotations[LAST_COMMAND_PREVIOUS_REPLICAS_ANNOTATION] ?? current.spec?.replicas ?? 0,
                ),
                replayed: true,
              } as ScaleWorkloadResponse;
            }
            const previousReplicas = current.spec?.replicas ?? 0;
            if (request.expectedReplicas !== undefined && request.expectedReplicas !== previousReplicas) {
              throw new SentraError(
                "FAILED_PRECONDITION",
                `${namespace}/${name} has ${previousReplicas} desired replicas, expected ${request.expectedReplicas}`,
                {
                  field: "expected_replicas",
                  details: { actual: previousReplicas, expected: request.expectedReplicas },
                },
              );
            }
            try {
              const updated = await cluster.scaleDeployment(
                namespace,
                name,
                request.replicas,
                {
                  [LAST_COMMAND_ANNOTATION]: request.idempotencyKey,
                  [LAST_COMMAND_PREVIOUS_REPLICAS_ANNOTATION]: String(previousReplicas),
                  ...(fencing === undefined ? {} : { [FENCING_TOKENS_ANNOTATION]: fencing }),
                },
                current.metadata?.resourceVersion,
              );
              return {
                workload: toWorkload(updated, location(cluster.name)),
                previousReplicas,
                replayed: false,
              } as ScaleWorkloadResponse;
            } catch (error) {
              const conflict = error instanceof SentraError && error.code === "ABORTED";
              if (!conflict) throw error;
              if (attempt >= MAX_SCALE_ATTEMPTS) {
                throw new SentraError(
                  "ABORTED",
                  `${namespace}/${name} changed under each of ${MAX_SCALE_ATTEMPTS} attempts to scale it (409 Conflict on its resourceVersion); nothing was written, retry later`,
                  { cause: error },
                );
              }
            }
          }
        },
        (first) => ({ ...first, replayed: true }),
      );
    },
  };
}

/**
 * The fencing check of a command: FAILED_PRECONDITION when the Deployment already saw a higher
 * token from the same coordinator estate (a newer owner of the saga acted; this sender was deposed).
 * Returns the annotation value to write with the command (the highest token per scope), or
 * undefined for an unfenced command (token 0). A damaged annotation counts as no token seen.
 */
export function checkFencing(
  scope: string,
  token: bigint,
  recorded: string | undefined,
  what: string,
): string | undefined {
  if (token === 0n) return undefined;
  let seen: Record<string, string> = {};
  try {
    const parsed: unknown = recorded === undefined ? {} : JSON.parse(recorded);
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) {
      seen = Object.fromEntries(
        Object.entries(parsed).filter((entry): entry is [string, string] => /^\d+$/.test(String(entry[1]))),
      );
    }
  } catch {
    // Not JSON: as if none were recorded.
  }
  const highest = seen[scope] === undefined ? 0n : BigInt(seen[scope]);
  if (token < highest) {
    throw new SentraError(
      "FAILED_PRECONDITION",
      `${what}: fencing token ${token} is older than ${highest}, which a command of estate ${JSON.stringify(scope)} already carried: a newer coordinator owns this migration, this one was deposed`,
      { field: "fencing_token", details: { fencingToken: token.toString(), highestSeen: highest.toString(), scope } },
    );
  }
  return JSON.stringify({ ...seen, [scope]: token.toString() });
}
