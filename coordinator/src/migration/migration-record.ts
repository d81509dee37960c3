import { create } from "@bufbuild/protobuf";
import { type Migration, type MigrationPlan, MigrationSchema, timestampFromMs } from "@sentra/proto";
import { type MigrationStateName, toMigrationStateEnum } from "./migration-state-machine.js";
import type { WorkloadLocation } from "./satellite-gateway.js";

/** Where a migration moves a workload to. */
export interface MigrationTarget {
  readonly satelliteId: string;
  readonly cluster: string;
  readonly cloud: string;
  readonly region: string;
}

/** One journalled step: a transition, or a note in the current state (e.g. a resume after a crash). */
export interface MigrationStepRecord {
  readonly sequence: number;
  readonly state: MigrationStateName;
  readonly atMs: number;
  readonly detail: string;
}

/** A migration as the journal holds it: enough to show it and to resume it after a crash. */
export interface MigrationRecord {
  readonly id: string;
  readonly idempotencyKey: string;
  /** `namespace/name`: the lock scope (every copy of the workload). */
  readonly workloadKey: string;
  readonly source: WorkloadLocation;
  readonly target: MigrationTarget;
  /** What the caller asked for ("" = best target). */
  readonly requestedTarget: string;
  readonly state: MigrationStateName;
  /** The accepted dry run the saga started from. */
  readonly plan: MigrationPlan;
  readonly requestedBy: string;
  /** Fencing token of the owner's workload lock; journal writes are conditional on it. */
  readonly fencingToken: number;
  readonly stepCount: number;
  readonly sourceReplicas: number | null;
  readonly targetReplicasBefore: number | null;
  readonly targetReplicasGoal: number | null;
  readonly readyDeadlineMs: number | null;
  /** Why it did not complete (set when it starts compensating or fails). */
  readonly error: string | null;
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
  readonly finishedAtMs: number | null;
  readonly steps: readonly MigrationStepRecord[];
}

/** The fields a transition may set besides the state. */
export type MigrationRecordPatch = Partial<
  Pick<MigrationRecord, "sourceReplicas" | "targetReplicasBefore" | "targetReplicasGoal" | "readyDeadlineMs" | "error">
>;

/** The target copy of the workload: same namespace/name in the target cluster. */
export function targetLocation(record: Pick<MigrationRecord, "source" | "target">): WorkloadLocation {
  return {
    satelliteId: record.target.satelliteId,
    cluster: record.target.cluster,
    namespace: record.source.namespace,
    name: record.source.name,
  };
}

/** The wire form of a journalled migration. */
export function toMigrationMessage(record: MigrationRecord): Migration {
  return create(MigrationSchema, {
    id: record.id,
    idempotencyKey: record.idempotencyKey,
    plan: record.plan,
    state: toMigrationStateEnum(record.state),
    steps: record.steps.map((step) => ({
      sequence: step.sequence,
      state: toMigrationStateEnum(step.state),
      at: timestampFromMs(step.atMs),
      detail: step.detail,
    })),
    createdAt: timestampFromMs(record.createdAtMs),
    updatedAt: timestampFromMs(record.updatedAtMs),
    error: record.error ?? "",
    requestedBy: record.requestedBy,
    sourceReplicas: record.sourceReplicas ?? 0,
    targetReplicasBefore: record.targetReplicasBefore ?? 0,
    targetReplicasGoal: record.targetReplicasGoal ?? 0,
    ...(record.readyDeadlineMs === null ? {} : { readyDeadline: timestampFromMs(record.readyDeadlineMs) }),
    fencingToken: BigInt(record.fencingToken),
    ...(record.finishedAtMs === null ? {} : { finishedAt: timestampFromMs(record.finishedAtMs) }),
  });
}

/** `namespace/name`. */
export function workloadKeyOf(location: Pick<WorkloadLocation, "namespace" | "name">): string {
  return `${location.namespace}/${location.name}`;
}

/** `satellite/cluster/namespace/name`, for messages. */
export function describeLocation(location: WorkloadLocation): string {
  return `${location.satelliteId}/${location.cluster}/${location.namespace}/${location.name}`;
}
