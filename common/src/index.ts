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
export { type NatsCredentialFiles, type NatsCredentials, readNatsCredentials } from "./nats-credentials.js";
export { parseConfig } from "./parse-config.js";
export {
  createDevelopmentCa,
  createDevelopmentPki,
  DEVELOPMENT_CA_CERTIFICATE_FILE,
  DEVELOPMENT_CA_KEY_FILE,
  type DevelopmentCa,
  type DevelopmentCaOptions,
  type DevelopmentPki,
  type DevelopmentPkiOptions,
  type IssuedCertificate,
  openDevelopmentCa,
  satelliteCertificateStem,
  tlsEnvironmentOf,
} from "./pki/development-pki.js";
export { type Closable, runMain } from "./run-main.js";
export { ErrorCode, type ErrorCodeName, type ErrorDetails, errorCodeName, SentraError } from "./sentra-error.js";
export {
  checkGrpcTlsEnvironment,
  GRPC_TLS_ENVIRONMENT,
  GRPC_TLS_FILE_VARIABLES,
  type GrpcTlsEnvironment,
  type GrpcTlsSettings,
  grpcTlsSettingsOf,
} from "./tls/grpc-tls-settings.js";
export { commonNameOf, type GrpcTransportSecurity, loadGrpcTransportSecurity } from "./tls/grpc-transport-security.js";
export { COORDINATOR_COMMON_NAME, satelliteCommonName, satelliteIdOfCommonName } from "./tls/peer-identity.js";
