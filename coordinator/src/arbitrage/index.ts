// The spot price CSV reader lives in @sentra/common (the satellite's calibration and replay read the same files).
export {
  readSpotPriceCsv,
  SPOT_PRICE_CSV_COLUMNS,
  type SpotPriceCsvOptions,
  type SpotPriceRow,
  streamSpotPriceCsv,
} from "@sentra/common";
export {
  type AnnotationProblem,
  ARBITRAGE_ANNOTATIONS,
  type ArbitrageAnnotations,
  KNOWN_CLOUDS,
  parseArbitrageAnnotations,
} from "./annotations.js";
export {
  type ArbitrageOptions,
  type CompiledArbitrageOptions,
  compileArbitrageOptions,
  DEFAULT_HORIZON_HOURS,
  DEFAULT_MIN_MARGIN_USD,
  DEFAULT_PRICE_TTL_MS,
  DEFAULT_READINESS_ESTIMATE_SECONDS,
  DEFAULT_STATE_GB,
} from "./arbitrage-options.js";
export {
  type AutoMigrationDecision,
  type AutoMigrationOptions,
  type AutoMigrationPolicy,
  type AutoMigrationState,
  type CompiledAutoMigrationOptions,
  compileAutoMigrationOptions,
  createAutoMigrationPolicy,
  DEFAULT_AUTO_COOLDOWN_SECONDS,
  DEFAULT_AUTO_MARGIN_THRESHOLD_USD,
  DEFAULT_AUTO_MAX_CONCURRENT_MIGRATIONS,
  DEFAULT_AUTO_MIGRATION_ENABLED,
  DEFAULT_AUTO_SUSTAIN_SECONDS,
  HOLD_REASONS,
  type HoldReason,
  type InFlightMigration,
  livePriced,
  type SustainedMargin,
} from "./auto-migration-policy.js";
export {
  type AutoMigrationTickDeps,
  type AutoMigrationTickResult,
  runAutoMigrationTick,
} from "./auto-migration-tick.js";
export {
  type BacktestMigration,
  type BacktestOptions,
  type BacktestReport,
  type BacktestStrategyResult,
  type BacktestWorkloadCost,
  DEFAULT_BACKTEST_DECISION_INTERVAL_SECONDS,
  formatBacktestReport,
  runBacktest,
} from "./backtest.js";
export {
  type BacktestEstate,
  DEFAULT_BACKTEST_ESTATE,
  type ParsedBacktestEstate,
  parseBacktestEstate,
} from "./backtest-estate.js";
export {
  BYTES_PER_GIB,
  hourlyCostUsd,
  type InstanceChoice,
  instanceShare,
  selectInstance,
  type WorkloadShape,
} from "./cost-model.js";
export {
  createEgressPriceTable,
  DEFAULT_EGRESS_PRICE_RULES,
  DEFAULT_EGRESS_PRICE_TABLE,
  EGRESS_PRICE_SOURCES,
  type EgressPriceRule,
  type EgressPriceSource,
  type EgressPriceTable,
  type EgressPriceTableOptions,
  type EgressQuote,
  egressUsdPerGb,
} from "./egress-price-table.js";
export { DEFAULT_INSTANCE_CATALOG, type InstanceSpec } from "./instance-catalog.js";
export {
  createMarketIndex,
  type MarketIndex,
  type MarketProblem,
  priceAgeSeconds,
  type UsableMarket,
} from "./market-index.js";
export {
  computeMigrationPlan,
  type MarginInputs,
  type MarginTerms,
  type MigrationPlan,
  marginAccepted,
  migrationMargin,
  type PlanSide,
  planSide,
} from "./migration-plan.js";
export {
  assertPlanAccepted,
  describeMargin,
  type MigrationPlanResult,
  type PlanRefusalCode,
  planMigration,
  planRefusalError,
} from "./migration-planner.js";
export {
  type ArbitrageOpportunity,
  createOpportunityFinder,
  findOpportunities,
  type OpportunityFinder,
} from "./opportunity-finder.js";
export { compilePlacementConstraints, type PlacementConstraints } from "./placement-constraints.js";
export { type InstancePrice, type PriceOrigin, type RegionMarket, type RegionRef, regionKey } from "./region-market.js";
export { createSpotPriceBook, type SpotPriceBook } from "./spot-price-book.js";
export { createSyntheticEstate } from "./synthetic-estate.js";
export type { WorkloadCostInput } from "./workload-cost-input.js";
