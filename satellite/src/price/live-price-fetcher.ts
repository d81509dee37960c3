import { SentraError, sleep as sleepUntilAborted } from "@sentra/common";

/** The live pricing APIs Sentra reads, one per cloud. */
export type LivePriceApi = "aws" | "azure" | "gcp";

/** One price a cloud's pricing API answered, already in Sentra's unit: USD per instance-hour. */
export interface FetchedPrice {
  /** Availability zone (AWS); empty for regional prices (GCP, Azure). */
  zone: string;
  instanceType: string;
  usdPerHour: number;
}

/** Reads the current spot prices of one region from one cloud's pricing API. */
export interface LivePriceFetcher {
  readonly api: LivePriceApi;
  /**
   * Every requested instance type's current spot price (all pages read). Throttling is retried
   * page by page (see {@link withThrottleRetry}); what is left throws a `SentraError`:
   * `RESOURCE_EXHAUSTED` (still throttled; `details.retryAfterMs` when the API said), or
   * `UNAUTHENTICATED` / `PERMISSION_DENIED` / `UNAVAILABLE` / `INTERNAL` naming the API and what to do.
   */
  fetch(signal?: AbortSignal): Promise<FetchedPrice[]>;
  close?(): Promise<void> | void;
}

/** Called once per throttled answer, so throttles can be counted even when a retry succeeds. */
export type ThrottleListener = (api: LivePriceApi, retryAfterMs: number | undefined) => void;

/** How one fetcher retries a throttled page. */
export interface ThrottleRetryOptions {
  /** Retries of one throttled page before giving up. @default 3 */
  maxRetries?: number;
  /** First pause, doubled per retry (a `Retry-After` wins when longer), ms. @default 1000 */
  baseDelayMs?: number;
  /** Longest pause, ms. @default 30000 */
  maxDelayMs?: number;
  /** Pause; replaced by tests. @default setTimeout */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** 0 ≤ random < 1, for the jitter; replaced by tests. @default Math.random */
  random?: () => number;
  onThrottle?: ThrottleListener;
}

/** @default 3 */
export const DEFAULT_THROTTLE_MAX_RETRIES = 3;
/** @default 1000 */
export const DEFAULT_THROTTLE_BASE_DELAY_MS = 1_000;
/** @default 30000 */
export const DEFAULT_THROTTLE_MAX_DELAY_MS = 30_000;

/** A throttled answer, as each fetcher recognises it (EC2 RequestLimitExceeded, HTTP 429, RESOURCE_EXHAUSTED). */
export function throttledError(
  api: LivePriceApi,
  message: string,
  retryAfterMs?: number,
  cause?: unknown,
): SentraError {
  return new SentraError("RESOURCE_EXHAUSTED", `${api} pricing API throttled the satellite: ${message}`, {
    details: { api, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) },
    cause,
  });
}

/** True for the error {@link throttledError} makes. */
export function isThrottled(error: unknown): error is SentraError {
  return error instanceof SentraError && error.code === "RESOURCE_EXHAUSTED";
}

/** The `retryAfterMs` a throttled error carries, if the API said. */
export function retryAfterMsOf(error: unknown): number | undefined {
  if (!(error instanceof SentraError)) return undefined;
  const value = error.details?.retryAfterMs;
  return typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : undefined;
}

/**
 * Runs `call` (one page), retrying while it throws a throttled error: pauses `base × 2^n` with
 * equal jitter (half fixed, half random), at least what `Retry-After` asked, at most `maxDelayMs`.
 * Other errors, and the last throttle, are thrown as they are.
 */
export async function withThrottleRetry<T>(
  api: LivePriceApi,
  call: () => Promise<T>,
  options: ThrottleRetryOptions = {},
  signal?: AbortSignal,
): Promise<T> {
  const maxRetries = options.maxRetries ?? DEFAULT_THROTTLE_MAX_RETRIES;
  const base = options.baseDelayMs ?? DEFAULT_THROTTLE_BASE_DELAY_MS;
  const max = options.maxDelayMs ?? DEFAULT_THROTTLE_MAX_DELAY_MS;
  const sleep = options.sleep ?? sleepUntilAborted;
  const random = options.random ?? Math.random;
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!isThrottled(error)) throw error;
      const retryAfterMs = retryAfterMsOf(error);
      options.onThrottle?.(api, retryAfterMs);
      if (attempt >= maxRetries) throw error;
      const backoff = Math.min(max, base * 2 ** attempt);
      const jittered = backoff / 2 + random() * (backoff / 2);
      await sleep(Math.min(max, Math.max(jittered, retryAfterMs ?? 0)), signal);
    }
  }
}

/** Parses an HTTP `Retry-After` (seconds or an HTTP date) into ms from `nowMs`. */
export function parseRetryAfterMs(value: string | null | undefined, nowMs = Date.now()): number | undefined {
  if (value === null || value === undefined || value.trim() === "") return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}
