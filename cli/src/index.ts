export {
  createNatsAuthConfig,
  INBOX_PREFIX_ROOT,
  type NatsAuthConfig,
  type NatsIdentity,
} from "./nats/nats-auth-config.js";
