import { readFile } from "node:fs/promises";
import type { TokenCredential } from "@azure/identity";
import type { AzureAdapterOptions } from "./azure-client-options.js";

// Test support, not shipped: satellite/tsconfig.json leaves *-test-fixture.ts out of the build.

/** A credential that always answers `token`, valid for `validForMs` from each call. */
export function staticTokenCredential(token: string, validForMs: number): TokenCredential {
  return { getToken: async () => ({ token, expiresOnTimestamp: Date.now() + validForMs }) };
}

/**
 * The adapter options that let the unmodified Azure SDK client reach a simulated ARM endpoint, the
 * only way a test's credential and CA can come in: a credential answering the endpoint's `token`
 * (valid for an hour) and the test CA's PEM read from `caFile`.
 */
export async function simulatedArmAccess(
  token: string,
  caFile: string,
): Promise<Required<Pick<AzureAdapterOptions, "credential" | "caPem">>> {
  return { credential: staticTokenCredential(token, 3_600_000), caPem: await readFile(caFile, "utf8") };
}
