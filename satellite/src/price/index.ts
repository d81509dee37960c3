// The shared data folder and the spot price CSV reader live in @sentra/common (the coordinator's
// backtest reads the same files); re-exported here for the satellite's price code.
export {
  type CsvRowError,
  readSpotPriceCsv,
  resolveSharedDataDir,
  SHARED_DATA_ENV,
  type SpotCsvReadStats,
  type SpotPriceRow,
} from "@sentra/common";
export {
  AWS_SPOT_PRODUCT_DESCRIPTION,
  type AwsSpotPriceFetcherOptions,
  createAwsSpotPriceFetcher,
  DEFAULT_PRICE_API_TIMEOUT_MS,
} from "./aws-spot-price-fetcher.js";
export {
  type AzureSpotPriceFetcherOptions,
  createAzureSpotPriceFetcher,
  DEFAULT_AZURE_RETAIL_PRICES_URL,
} from "./azure-spot-price-fetcher.js";
export {
  ar1ToMeanReversion,
  CALIBRATION_GRID_HOURS,
  type CalibrationReport,
  calibrate,
  calibrateFromSharedData,
  type FamilyCalibration,
  formatCalibrationMarkdown,
  formatCalibrationTypeScript,
  JUMP_THRESHOLD_SIGMAS,
  loadOnDemandPrices,
  loadSpotHistories,
  type OnDemandPrice,
  type PricePoint,
  type PriceSeries,
  type ReferencePrice,
  type SeriesSummary,
} from "./calibrate.js";
export {
  type CsvPriceReplay,
  type CsvPriceReplayOptions,
  type CsvPriceReplayStats,
  createCsvPriceReplay,
} from "./csv-price-replay.js";
export {
  createGcpSpotPriceFetcher,
  GCP_COMPUTE_ENGINE_SERVICE,
  type GcpSpotPriceFetcherOptions,
} from "./gcp-spot-price-fetcher.js";
export {
  findInstanceType,
  INSTANCE_TYPES,
  type InstanceType,
  instanceFamily,
  instanceTypesOf,
} from "./instance-types.js";
export {
  type FetchedPrice,
  type LivePriceApi,
  type LivePriceFetcher,
  type ThrottleRetryOptions,
  withThrottleRetry,
} from "./live-price-fetcher.js";
export {
  createLiveSpotPriceSource,
  DEFAULT_AWS_PRICE_REFRESH_INTERVAL_MS,
  DEFAULT_CATALOG_PRICE_REFRESH_INTERVAL_MS,
  type LivePriceMetrics,
  type LiveSpotPriceSource,
  type LiveSpotPriceSourceOptions,
  nextRefreshDelayMs,
  type RefreshOutcome,
} from "./live-spot-price-source.js";
export {
  DEFAULT_MODEL_PARAMETERS,
  MODEL_PARAMETER_NAMES,
  type ModelParameters,
  modelParametersFor,
} from "./model-parameters.js";
export { type CachedPrices, createMemoryPriceCache, type PriceCache } from "./price-cache.js";
export { createRedisPriceCache } from "./redis-price-cache.js";
export {
  ON_DEMAND_PRICES,
  type PriceTableEntry,
  REFERENCE_SPOT_PRICES,
  resolveSeriesPricing,
  type SeriesPricing,
} from "./reference-prices.js";
export {
  createSpotPriceModel,
  type SpotPriceModel,
  type SpotPriceModelOptions,
  type SpotSeriesInfo,
} from "./spot-price-model.js";
export type {
  OverridableSpotPriceSource,
  SpotPriceQuote,
  SpotPriceSource,
} from "./spot-price-source.js";
