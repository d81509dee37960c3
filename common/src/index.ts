export {
  type ClusterView,
  DASHBOARD_AUTH_ERROR,
  DASHBOARD_PROTOCOL_VERSION,
  DASHBOARD_SOCKET_NAMESPACE,
  DASHBOARD_TOKEN_REVOKED,
  DASHBOARD_TOPICS,
  type DashboardChanges,
  type DashboardClientEvents,
  type DashboardDelta,
  type DashboardEventRefusal,
  type DashboardHandshakeAuth,
  type DashboardRole,
  type DashboardServerEvents,
  type DashboardSession,
  type DashboardSignedOut,
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
