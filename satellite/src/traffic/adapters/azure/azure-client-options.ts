import { DefaultAzureCredential, type TokenCredential } from "@azure/identity";
import type { VendorRetryOptions } from "../retry-vendor-call.js";
import type { RouterAdapterContext } from "../router-adapter.js";

/** The ARM scope of every token, also with an endpoint override (a private link or a proxy is still ARM). */
export const ARM_SCOPE = "https://management.azure.com/.default";
/** @default 1000 — interval between polls of an ARM long-running operation without `Retry-After`, in ms. */
export const DEFAULT_ARM_POLL_INTERVAL_MS = 1_000;

/**
 * Tuning of the Azure adapters. Production passes none: `DefaultAzureCredential` (workload
 * identity, managed identity, environment), the public CAs, the SDK's own retry policy (which waits
 * out a 429's `Retry-After`). Tests pass a credential of their own and the simulated endpoint's CA;
 * this is the only way either gets in.
 */
export interface AzureAdapterOptions {
  /** @default new DefaultAzureCredential() */
  readonly credential?: TokenCredential;
  /** PEM of the CA the endpoint's certificate is checked against instead of the public ones. @default the public CAs */
  readonly caPem?: string;
  /** Retries of a conflicting (409) or still throttled call, after the SDK's own retries. */
  readonly retry?: VendorRetryOptions;
  /** @default DEFAULT_ARM_POLL_INTERVAL_MS */
  readonly pollIntervalMs?: number;
  /** The SDK retry policy's first delay for errors without `Retry-After`, in ms. @default the SDK's (1000) */
  readonly sdkRetryDelayMs?: number;
}

/** The credential of an Azure adapter: the test's, else DefaultAzureCredential (never logged). */
export function azureCredential(options: AzureAdapterOptions): TokenCredential {
  return options.credential ?? new DefaultAzureCredential();
}

/** Pipeline options shared by the ARM clients: endpoint override, CA, retry delays. */
export function armPipelineOptions(context: RouterAdapterContext, options: AzureAdapterOptions) {
  return {
    ...(context.endpoint === undefined ? {} : { endpoint: context.endpoint.replace(/\/+$/, "") }),
    ...(options.caPem === undefined ? {} : { tlsOptions: { ca: options.caPem } }),
    ...(options.sdkRetryDelayMs === undefined
      ? {}
      : { retryOptions: { retryDelayInMs: options.sdkRetryDelayMs, maxRetryDelayInMs: options.sdkRetryDelayMs * 4 } }),
  };
}
