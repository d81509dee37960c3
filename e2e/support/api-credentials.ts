import { randomBytes } from "node:crypto";
import { Metadata } from "@grpc/grpc-js";

/**
 * The admin token of the coordinators the fuzz tests start (given as SENTRA_ADMIN_TOKEN, so it is
 * known before the process starts); a fresh one per test process.
 */
const FUZZ_ADMIN_TOKEN = `sentra_${randomBytes(24).toString("hex")}`;

/** Credentials every fuzz call to the coordinator's gRPC and REST APIs carries: a bearer admin token. */
export function apiCredentialHeaders(): Record<string, string> {
  return { authorization: `Bearer ${FUZZ_ADMIN_TOKEN}` };
}

/**
 * Environment a coordinator started by a test needs to accept {@link apiCredentialHeaders}. The
 * mutation rate limit is lifted so thousands of invalid mutating calls reach argument validation
 * instead of stopping at RESOURCE_EXHAUSTED (the limit has its own test in e2e/security.test.ts).
 */
export function apiCredentialsEnv(): Record<string, string> {
  return { SENTRA_ADMIN_TOKEN: FUZZ_ADMIN_TOKEN, SENTRA_MUTATION_RATE_LIMIT_PER_MINUTE: "1000000" };
}

/** {@link apiCredentialHeaders} as gRPC call metadata (for raw grpc-js clients). */
export function apiCredentialMetadata(): Metadata {
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(apiCredentialHeaders())) metadata.set(key, value);
  return metadata;
}
