import { Metadata } from "@grpc/grpc-js";

/**
 * Credentials every test call to the coordinator's gRPC and REST APIs carries. The one place to
 * change when the coordinator requires a bearer token: return `{ authorization: "Bearer …" }`
 * here (and give the coordinator that token through `apiCredentialsEnv`).
 */
export function apiCredentialHeaders(): Record<string, string> {
  return {};
}

/** Environment a coordinator started by a test needs to accept {@link apiCredentialHeaders}. */
export function apiCredentialsEnv(): Record<string, string> {
  return {};
}

/** {@link apiCredentialHeaders} as gRPC call metadata (for raw grpc-js clients). */
export function apiCredentialMetadata(): Metadata {
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(apiCredentialHeaders())) metadata.set(key, value);
  return metadata;
}
