import { ROLLOUT_END_PHASES } from "@sentra/common/dashboard-protocol";
import type { OperationsTab } from "../live/dashboard-model";
import { useDashboardModel, useLive } from "../live/use-live";
import { MigrationList } from "./migration-list";
import { OpportunityList } from "./opportunity-list";
import { RolloutList } from "./rollout-list";

/**
 * The right-hand panel while no region is focused: the arbitrage (opportunities ranked by margin,
 * then the migrations) and the rollouts, one tab each.
 */
export function OperationsPanel() {
  const model = useDashboardModel();
  const focus = useLive(model.focus, model.focus.get);
  const tab = useLive(model.operationsTab, model.operationsTab.get);
  const { opportunities, rollouts } = model.stores;
  const opportunityCount = useLive(opportunities, () => opportunities.size);
  const activeRollouts = useLive(rollouts, () => {
    let active = 0;
    for (const rollout of rollouts.values()) if (!ROLLOUT_END_PHASES.includes(rollout.phase)) active += 1;
    return active;
  });
  if (focus) return null;
  const tabs: Array<[OperationsTab, string, number]> = [
    ["opportunities", "Opportunities", opportunityCount],
    ["rollouts", "Rollouts", activeRollouts],
  ];
  return (
    <aside className="panel ops-panel" data-occludes data-testid="operations-panel" aria-label="Operations">
      <div className="ops-tabs" role="tablist">
        {tabs.map(([id, label, count]) => (
          <button
            key={id}
            type="button"
            role="tab"
            aria-selected={tab === id}
            className="ops-tab"
            data-testid={`tab-${id}`}
            onClick={() => model.operationsTab.set(id)}
          >
            {label}
            <span className="ops-tab-count" data-zero={count === 0 ? "true" : "false"}>
              {count}
            </span>
          </button>
        ))}
      </div>
      {tab === "opportunities" ? (
        <>
          <OpportunityList />
          <MigrationList />
        </>
      ) : (
        <RolloutList />
      )}
    </aside>
  );
}
