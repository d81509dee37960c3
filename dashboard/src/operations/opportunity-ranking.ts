import type { OpportunityView } from "@sentra/common/dashboard-protocol";

/**
 * Opportunities best first: by margin over the horizon, then by saving per hour (the one that pays
 * back faster), then by workload id, so the order is stable between rankings.
 */
export function rankOpportunities(opportunities: Iterable<OpportunityView>): OpportunityView[] {
  return [...opportunities].sort(
    (a, b) =>
      b.marginUsd - a.marginUsd ||
      b.savingUsdPerHour - a.savingUsdPerHour ||
      (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
  );
}
