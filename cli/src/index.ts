export {
  createNatsAuthConfig,
  INBOX_PREFIX_ROOT,
  type NatsAuthConfig,
  type NatsIdentity,
} from "./nats/nats-auth-config.js";
export { createDevelopmentPki, type DevelopmentPki, type IssuedCertificate } from "./pki/development-pki.js";
