import { Metadata } from "@grpc/grpc-js";
import type { TestNamespace } from "@sentra/testkit";
import { bearerMetadata, namespaceAdminTokenFile } from "./coordinator-auth.js";

/**
 * Credentials every fuzz and permission test call to the coordinator's gRPC and REST APIs
 * carries: the namespace's admin token, which `startCoordinatorProcess` registers (so the fuzzing
 * reaches every method's validation, not only the authentication in front of it).
 */
export function apiCredentialHeaders(namespace: TestNamespace): Record<string, string> {
  return bearerMetadata(namespaceAdminTokenFile(namespace).token);
}

/** {@link apiCredentialHeaders} as gRPC call metadata (for raw grpc-js clients). */
export function apiCredentialMetadata(namespace: TestNamespace): Metadata {
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(apiCredentialHeaders(namespace))) metadata.set(key, value);
  return metadata;
}
