import { MIGRATION_END_STATES, type MigrationView } from "@sentra/common/dashboard-protocol";
import { formatAge } from "../format";
import { useDashboardModel, useLive, useNow } from "../live/use-live";
import { STATE_LABELS, sagaOutcome, sagaStages } from "../operations/saga-progress";
import { Route } from "./region-tag";

/** Migrations: the running ones first, then the recent ones; click to follow a saga step by step. */
export function MigrationList() {
  const model = useDashboardModel();
  const { migrations } = model.stores;
  useLive(migrations, migrations.getVersion);
  const now = useNow(1_000);
  const serverNow = now + model.connection.state.get().clockOffsetMs;
  const all = [...migrations.values()].sort((a, b) => {
    const running = Number(MIGRATION_END_STATES.includes(a.state)) - Number(MIGRATION_END_STATES.includes(b.state));
    return running || b.createdAtMs - a.createdAtMs;
  });
  const running = all.filter((migration) => !MIGRATION_END_STATES.includes(migration.state)).length;
  return (
    <section className="panel-section" aria-label="Migrations">
      <h3>
        Migrations{" "}
        <span className="panel-hint">
          {running} running · {all.length - running} finished
        </span>
      </h3>
      {all.length === 0 ? (
        <p className="panel-empty">None yet. A migration scales the target up before the source down.</p>
      ) : (
        <ul className="migration-list">
          {all.map((migration) => (
            <MigrationRow
              key={migration.key}
              migration={migration}
              serverNow={serverNow}
              onOpen={() => model.migrateFlow.follow(migration.id)}
            />
          ))}
        </ul>
      )}
    </section>
  );
}

function MigrationRow({
  migration,
  serverNow,
  onOpen,
}: {
  migration: MigrationView;
  serverNow: number;
  onOpen: () => void;
}) {
  const stages = sagaStages(migration);
  const outcome = sagaOutcome(migration);
  return (
    <li>
      <button
        type="button"
        className="migration-row"
        data-outcome={outcome}
        data-state={migration.state}
        data-testid={`migration-${migration.id}`}
        onClick={onOpen}
      >
        <span className="migration-head">
          <span className="migration-name">{migration.workload.name}</span>
          <Route from={migration.sourceRegionKey} to={migration.targetRegionKey} />
        </span>
        <span className="stage-dots" aria-hidden="true">
          {stages.map((stage) => (
            <span
              key={`${stage.state}-${stage.atMs}`}
              className="stage-dot"
              data-status={stage.status}
              data-state={stage.state}
            />
          ))}
        </span>
        <span className="migration-foot">
          <span className="migration-state">{STATE_LABELS[migration.state]}</span>
          <span className="migration-age">{formatAge(serverNow - migration.updatedAtMs)}</span>
        </span>
      </button>
    </li>
  );
}
