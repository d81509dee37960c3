import { MIGRATION_END_STATES, type OpportunityView } from "@sentra/common/dashboard-protocol";
import { formatHours, formatUsd, formatUsdPerHour, formatUsdSigned } from "../format";
import { canAct } from "../live/dashboard-model";
import { useDashboardModel, useLive } from "../live/use-live";
import { rankOpportunities } from "../operations/opportunity-ranking";
import { Route } from "./region-tag";

/** The opportunity ranking, best margin first, each with its one-click Migrate (operators only). */
export function OpportunityList() {
  const model = useDashboardModel();
  const { opportunities, migrations } = model.stores;
  useLive(opportunities, opportunities.getVersion);
  useLive(migrations, migrations.getVersion);
  const operator = useLive(model.connection.state, () => canAct(model));
  const ranked = rankOpportunities(opportunities.values());
  const moving = new Set(
    [...migrations.values()].filter((m) => !MIGRATION_END_STATES.includes(m.state)).map((m) => m.workloadId),
  );
  return (
    <section className="panel-section" aria-label="Opportunities">
      <h3>
        Ranked by margin{" "}
        <span className="panel-hint">{ranked[0] ? `over a ${ranked[0].horizonHours} h horizon · live` : "live"}</span>
      </h3>
      {ranked.length === 0 ? (
        <p className="panel-empty" data-testid="opportunities-empty">
          No move pays right now: no workload would save more than egress and overlap cost within the horizon.
        </p>
      ) : (
        <ol className="opportunity-list" data-testid="opportunity-list">
          {ranked.map((opportunity, index) => (
            <OpportunityRow
              key={opportunity.key}
              opportunity={opportunity}
              rank={index + 1}
              operator={operator}
              moving={moving.has(opportunity.workloadId)}
              onMigrate={() =>
                void model.migrateFlow.open({
                  workload: opportunity.workload,
                  targetRegion: opportunity.target.regionKey,
                })
              }
            />
          ))}
        </ol>
      )}
    </section>
  );
}

function OpportunityRow({
  opportunity,
  rank,
  operator,
  moving,
  onMigrate,
}: {
  opportunity: OpportunityView;
  rank: number;
  operator: boolean;
  moving: boolean;
  onMigrate: () => void;
}) {
  const { workload } = opportunity;
  return (
    <li className="opportunity" data-testid={`opportunity-${opportunity.key}`}>
      <span className="rank">{rank}</span>
      <div className="opportunity-body">
        <div className="opportunity-head">
          <span className="opportunity-name">{workload.name}</span>
          <span className="opportunity-meta">
            {workload.namespace} · {opportunity.replicas} {opportunity.replicas === 1 ? "replica" : "replicas"}
          </span>
        </div>
        <Route from={opportunity.source.regionKey} to={opportunity.target.regionKey} />
        <dl className="figures">
          <div>
            <dt>saves</dt>
            <dd>{formatUsdPerHour(opportunity.savingUsdPerHour)}</dd>
          </div>
          <div>
            <dt>egress</dt>
            <dd>{formatUsd(opportunity.egressUsd)}</dd>
          </div>
          <div>
            <dt>break-even</dt>
            <dd>{opportunity.breakEvenHours === null ? "never" : formatHours(opportunity.breakEvenHours)}</dd>
          </div>
        </dl>
      </div>
      <div className="opportunity-side">
        <span className="opportunity-margin" data-testid={`opportunity-margin-${opportunity.key}`}>
          {opportunity.marginUsd > 0 ? "+" : ""}
          {formatUsdSigned(opportunity.marginUsd)}
        </span>
        <span className="opportunity-margin-unit">margin</span>
        {operator &&
          (moving ? (
            <span className="moving-badge">migrating…</span>
          ) : (
            <button
              type="button"
              className="migrate-button"
              data-testid={`migrate-${opportunity.key}`}
              onClick={onMigrate}
              aria-label={`Migrate ${workload.namespace}/${workload.name} to ${opportunity.target.regionKey}`}
            >
              Migrate
            </button>
          ))}
      </div>
    </li>
  );
}
