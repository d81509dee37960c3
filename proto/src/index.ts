export { MAX_IDEMPOTENCY_KEY_LENGTH } from "./api-limits.js";
export * from "./gen/sentra/v1/arbitrage_api_pb.js";
export * from "./gen/sentra/v1/coordinator_service_pb.js";
export * from "./gen/sentra/v1/estate_pb.js";
export * from "./gen/sentra/v1/event_pb.js";
export * from "./gen/sentra/v1/migration_pb.js";
export * from "./gen/sentra/v1/rollout_api_pb.js";
export * from "./gen/sentra/v1/rollout_pb.js";
export * from "./gen/sentra/v1/satellite_binding_api_pb.js";
export * from "./gen/sentra/v1/satellite_service_pb.js";
export * from "./gen/sentra/v1/security_api_pb.js";
export * from "./gen/sentra/v1/workload_pb.js";
export { withUnimplemented } from "./grpc/partial-implementation.js";
export { createPeerChannelCredentials, type ServerIdentityRefusal } from "./grpc/peer-channel-credentials.js";
export { addHealth, addReflection } from "./grpc/reflection.js";
export { createRotatingServerCredentials } from "./grpc/rotating-server-credentials.js";
export {
  createSecuredServer,
  type SecuredServer,
  type SecuredServerOptions,
  type TransportRefusal,
  type TransportRefusalReason,
} from "./grpc/secured-server.js";
export {
  type CallOptions,
  createServiceClient,
  type ServiceClient,
  type ServiceClientOptions,
} from "./grpc/service-client.js";
export { createServiceDefinition } from "./grpc/service-definition.js";
export {
  addService,
  type CallContext,
  type CallInterceptor,
  type ServiceImplementation,
} from "./grpc/service-implementation.js";
export { ERROR_DETAILS_METADATA_KEY, fromGrpcError, toGrpcStatus } from "./grpc/status.js";
export { type PriceSourceName, priceSourceName } from "./price-source.js";
export {
  coordinatorAppliedSubject,
  DEFAULT_EVENT_STREAM_MAX_AGE_MS,
  DEFAULT_EVENT_STREAM_MAX_BYTES,
  EVENT_STREAM_DUPLICATE_WINDOW_MS,
  type EventStreamLimits,
  parseSatelliteSubject,
  SATELLITE_EVENT_CONSUMER,
  SATELLITE_ID_PATTERN,
  type SatelliteSubjectKind,
  SUBJECT_ROOT,
  satelliteEventStream,
  satelliteEventStreamConfig,
  satelliteIdOfSubject,
  satelliteInboxPrefix,
  satelliteSubject,
  satelliteWildcard,
} from "./subjects.js";
export { msOf, type Timestamp, timestampDate, timestampFromDate, timestampFromMs, timestampMs } from "./time.js";
export { readHealthSummary } from "./wire/health-summary-reader.js";
