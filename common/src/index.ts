export { type CsvRecord, streamCsvRecordBatches } from "./csv-records.js";
export {
  type ClusterView,
  DASHBOARD_AUTH_ERROR,
  DASHBOARD_PROTOCOL_VERSION,
  DASHBOARD_SOCKET_NAMESPACE,
  DASHBOARD_TOPICS,
  type DashboardChanges,
  type DashboardClientEvents,
  type DashboardDelta,
  type DashboardHandshakeAuth,
  type DashboardRole,
  type DashboardServerEvents,
  type DashboardSession,
  type DashboardSnapshot,
  type DashboardTopic,
  type DashboardTopics,
  type LivenessView,
  type PricePoint,
  type PriceSeriesView,
  type PriceSourceView,
  type RegionView,
  type SatelliteStatusView,
  type SatelliteView,
  type TopicChanges,
  type WorkloadView,
} from "./dashboard-protocol.js";
export { sleep } from "./deadline.js";
export { createLogger, type Logger, redactUrl } from "./logger.js";
export { createMetricsRegistry } from "./metrics.js";
export { parseConfig } from "./parse-config.js";
export { type Closable, runMain } from "./run-main.js";
export { ErrorCode, type ErrorCodeName, type ErrorDetails, errorCodeName, SentraError } from "./sentra-error.js";
export { findRepoRoot, resolveSharedDataDir, SHARED_DATA_ENV } from "./shared-data-dir.js";
export {
  type CsvRowError,
  MAX_REPORTED_ROW_ERRORS,
  readSpotPriceCsv,
  SPOT_PRICE_CSV_COLUMNS,
  SPOT_PRICE_CSV_HEADER,
  type SpotCsvReadResult,
  type SpotCsvReadStats,
  type SpotPriceCsvOptions,
  type SpotPriceRow,
  type SpotPriceRowStream,
  streamSpotPriceCsv,
} from "./spot-price-csv.js";
