import type { MigrationPlanView, PlanSideView } from "@sentra/common/dashboard-protocol";
import { formatHours, formatSeconds, formatUsd, formatUsdPerHour, formatUsdSigned } from "../format";

/** One line of a dry run's arithmetic: what it is, how it is computed, and what it comes to. */
export interface ArithmeticLine {
  id: "costNow" | "costTarget" | "saving" | "egress" | "overlap" | "margin" | "breakEven";
  label: string;
  /** The computation, with every number and unit. */
  formula: string;
  value: string;
  /** good: adds to the margin or clears the bar; bad: takes from it or fails the bar. */
  tone: "good" | "bad" | "neutral";
}

function sideFormula(plan: MigrationPlanView, side: PlanSideView): string {
  const share = Number(side.instanceShare.toPrecision(3));
  const price = `${plan.replicas} × ${share} × ${formatUsdPerHour(side.instanceUsdPerHour)} ${side.instanceType}`;
  // Synthetic prices (the seeded model, a replay) are marked: they are nobody's bill.
  return side.priceSource === "live" ? price : `${price} (${side.priceSource} price)`;
}

/**
 * The dry run's arithmetic, line by line, exactly as the coordinator computed it:
 * saving/h × horizon − egress − overlap = margin, then the break-even time. An unpriced plan (a
 * stale or missing price) has no numbers: no lines.
 */
export function planArithmetic(plan: MigrationPlanView): ArithmeticLine[] {
  if (!plan.priced) return [];
  const pays = plan.accepted;
  const lines: ArithmeticLine[] = [
    {
      id: "costNow",
      label: "Cost now",
      formula: sideFormula(plan, plan.source),
      value: formatUsdPerHour(plan.source.usdPerHour),
      tone: "neutral",
    },
    {
      id: "costTarget",
      label: "Cost there",
      formula: sideFormula(plan, plan.target),
      value: formatUsdPerHour(plan.target.usdPerHour),
      tone: "neutral",
    },
    {
      id: "saving",
      label: "Saving",
      formula: `${formatUsdPerHour(plan.savingUsdPerHour)} × ${plan.horizonHours} h`,
      value: formatUsdSigned(plan.savingsUsd),
      tone: plan.savingsUsd > 0 ? "good" : "bad",
    },
    {
      id: "egress",
      label: "Egress",
      formula: `${Number(plan.stateGb.toPrecision(4))} GB × ${formatUsd(plan.egressUsdPerGb)}/GB${plan.stateGbFrom === "default" ? " (default state size)" : ""}`,
      value: formatUsdSigned(-plan.egressUsd),
      tone: plan.egressUsd > 0 ? "bad" : "neutral",
    },
    {
      id: "overlap",
      label: "Overlap",
      formula: `(${formatUsd(plan.source.usdPerHour)} + ${formatUsd(plan.target.usdPerHour)})/h × ${formatSeconds(plan.readinessEstimateSeconds)}`,
      value: formatUsdSigned(-plan.overlapUsd),
      tone: plan.overlapUsd > 0 ? "bad" : "neutral",
    },
    {
      id: "margin",
      label: "Margin",
      formula:
        plan.minMarginUsd > 0
          ? `needs > $0 and ≥ ${formatUsd(plan.minMarginUsd)}`
          : `over ${plan.horizonHours} h, needs > $0`,
      value: formatUsdSigned(plan.marginUsd),
      tone: pays ? "good" : "bad",
    },
  ];
  lines.push({
    id: "breakEven",
    label: "Break-even",
    formula: plan.breakEvenHours === null ? "the move saves nothing per hour" : "egress + overlap paid back after",
    value: plan.breakEvenHours === null ? "never" : formatHours(plan.breakEvenHours),
    tone: plan.breakEvenHours !== null && plan.breakEvenHours <= plan.horizonHours ? "good" : "bad",
  });
  return lines;
}
