export {
  coordinatorNatsPermissions,
  createNatsAuthConfig,
  type NatsAuthConfig,
  type NatsAuthOptions,
  type NatsIdentity,
  type NatsPermissions,
  satelliteNatsPermissions,
} from "./nats/nats-auth-config.js";
export {
  DEFAULT_NATS_LISTEN,
  DEFAULT_NATS_MAX_PAYLOAD_BYTES,
  type NatsServerFiles,
  type NatsServerFilesOptions,
  natsIdentityEnv,
  natsServerConfigText,
  writeNatsServerFiles,
} from "./nats/nats-server-files.js";
