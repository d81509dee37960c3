import type { MigrationView, WorkloadView } from "@sentra/common/dashboard-protocol";
import { formatClock } from "../format";
import { useDashboardModel, useLive } from "../live/use-live";
import { STATE_LABELS, sagaOutcome, sagaStages } from "../operations/saga-progress";
import { RegionTag } from "./region-tag";

const STATUS_ICONS = { done: "✓", current: "", pending: "", ended: "" } as const;

/**
 * A saga step by step as the journal records it, and the workload's replicas in both clusters as
 * the satellites report them: make-before-break is visible (the target is ready before the
 * source goes down).
 */
export function SagaProgress({ migration }: { migration: MigrationView }) {
  const stages = sagaStages(migration);
  const outcome = sagaOutcome(migration);
  return (
    <div className="saga" data-testid="saga-progress" data-outcome={outcome}>
      <Replicas migration={migration} />
      <p className="saga-state" data-testid="saga-state" data-state={migration.state}>
        {outcome === "running"
          ? `Running: ${STATE_LABELS[migration.state].toLowerCase()}…`
          : outcome === "done"
            ? "Done: the workload runs in the target region."
            : outcome === "compensated"
              ? "Compensated: the target was put back; the source was never touched."
              : `Failed: ${migration.error || "see the coordinator log"}`}
      </p>
      <ol className="saga-stages">
        {stages.map((stage) => (
          <li
            key={`${stage.state}-${stage.atMs ?? "todo"}`}
            className="saga-stage"
            data-status={stage.status}
            data-state={stage.state}
            data-outcome={stage.status === "ended" ? outcome : undefined}
          >
            <span className="saga-icon" aria-hidden="true">
              {stage.status === "current" ? (
                <span className="saga-spinner" />
              ) : stage.status === "ended" ? (
                outcome === "done" ? (
                  "✓"
                ) : (
                  "!"
                )
              ) : (
                STATUS_ICONS[stage.status]
              )}
            </span>
            <span className="saga-label">{stage.label}</span>
            <span className="saga-time">{stage.atMs === null ? "" : formatClock(stage.atMs)}</span>
            {stage.detail && (
              <span className="saga-detail" title={stage.detail}>
                {stage.detail}
              </span>
            )}
          </li>
        ))}
      </ol>
    </div>
  );
}

/** Ready/desired replicas of the moving workload in the source and target clusters, live. */
function Replicas({ migration }: { migration: MigrationView }) {
  const model = useDashboardModel();
  const { workloads } = model.stores;
  useLive(workloads, workloads.getVersion);
  const { workload } = migration;
  const source = workloads.get(`${workload.satelliteId}/${workload.cluster}/${workload.namespace}/${workload.name}`);
  const target = workloads.get(
    `${migration.targetSatelliteId}/${migration.targetCluster}/${workload.namespace}/${workload.name}`,
  );
  return (
    <div className="replicas">
      <ReplicaSide label="source" regionKey={migration.sourceRegionKey} workload={source} testId="replicas-source" />
      <span className="replicas-arrow" aria-hidden="true">
        →
      </span>
      <ReplicaSide label="target" regionKey={migration.targetRegionKey} workload={target} testId="replicas-target" />
    </div>
  );
}

function ReplicaSide({
  label,
  regionKey,
  workload,
  testId,
}: {
  label: string;
  regionKey: string;
  workload: WorkloadView | undefined;
  testId: string;
}) {
  return (
    <div className="replica-side">
      <span className="replica-label">{label}</span>
      <RegionTag regionKey={regionKey} />
      <span className="replica-count" data-testid={testId}>
        {workload ? `${workload.readyReplicas}/${workload.desiredReplicas}` : "—"}
        <span className="replica-unit"> ready</span>
      </span>
    </div>
  );
}
