export { type BenchFigure, benchFigure, printBenchFigure } from "./bench-figure.js";
export { type CsvRecord, streamCsvRecordBatches } from "./csv-records.js";
export {
  type AbortRolloutRequest,
  type ClusterView,
  DASHBOARD_ACTING_ROLES,
  DASHBOARD_AUTH_ERROR,
  DASHBOARD_PROTOCOL_VERSION,
  DASHBOARD_SOCKET_NAMESPACE,
  DASHBOARD_TOKEN_REVOKED,
  DASHBOARD_TOPICS,
  type DashboardAction,
  type DashboardActionError,
  type DashboardActionResult,
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
  type GateEvidenceView,
  type GateOutcomeView,
  type GateResultView,
  type LivenessView,
  MIGRATION_END_STATES,
  type MigrateRequest,
  type MigrateResult,
  type MigrationPlanView,
  type MigrationStateView,
  type MigrationStepView,
  type MigrationView,
  type OpportunityView,
  type PlanMigrationRequest,
  type PlanMigrationResult,
  type PlanSideView,
  type PricePoint,
  type PriceSeriesView,
  type PriceSourceView,
  type PromoteRolloutRequest,
  type RegionView,
  ROLLOUT_END_PHASES,
  type RolloutActionResult,
  type RolloutDecisionView,
  type RolloutIncidentView,
  type RolloutPhaseView,
  type RolloutView,
  type RolloutWaveStatusView,
  type RolloutWaveView,
  type SatelliteStatusView,
  type SatelliteView,
  type TopicChanges,
  type WorkloadRefView,
  type WorkloadView,
} from "./dashboard-protocol.js";
export { sleep } from "./deadline.js";
export { isRecord } from "./is-record.js";
export { DNS_LABEL } from "./kubernetes-names.js";
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
export {
  checkServerTlsCertificate,
  loadServerTlsCertificate,
  type NamedFile,
  type ServerTlsCertificate,
  type ServerTlsFiles,
} from "./tls/server-tls-certificate.js";
export {
  type ServerTlsIdentity,
  type ServerTlsIdentityEvent,
  type ServerTlsIdentityOptions,
  watchServerTlsIdentity,
} from "./tls/server-tls-identity.js";
