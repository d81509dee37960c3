import { type ErrorCodeName, SentraError } from "@sentra/common";

/** @default 4 — attempts of one vendor call before its error is the adapter's. */
export const DEFAULT_VENDOR_CALL_ATTEMPTS = 4;
/** @default 250 — delay before the second attempt, in ms; doubled each time, at most 8 s (4 attempts wait 1.75 s in all, well within the 10 s router deadline). */
export const DEFAULT_VENDOR_RETRY_BASE_DELAY_MS = 250;
const MAX_VENDOR_RETRY_DELAY_MS = 8_000;

/** Codes worth another attempt: throttling, a concurrent change, a passing outage. */
export const RETRYABLE_CODES: ReadonlySet<ErrorCodeName> = new Set([
  "RESOURCE_EXHAUSTED",
  "ABORTED",
  "UNAVAILABLE",
  "DEADLINE_EXCEEDED",
]);

/** How a vendor call is retried. */
export interface VendorRetryOptions {
  /** @default DEFAULT_VENDOR_CALL_ATTEMPTS */
  readonly attempts?: number;
  /** @default DEFAULT_VENDOR_RETRY_BASE_DELAY_MS */
  readonly baseDelayMs?: number;
}

/**
 * Runs `call` (one whole read-modify-write, so a retry after a conflict re-reads), translating what
 * it throws with `translate` into a SentraError; a retryable code (throttling, conflict,
 * unavailable) is tried again after a doubling delay, any other code fails at once.
 * @param onRetry told about each retry (for the adapter's log)
 */
export async function retryVendorCall<T>(
  call: () => Promise<T>,
  translate: (error: unknown) => SentraError,
  options: VendorRetryOptions & { onRetry?: (attempt: number, error: SentraError) => void } = {},
): Promise<T> {
  const attempts = Math.max(1, options.attempts ?? DEFAULT_VENDOR_CALL_ATTEMPTS);
  const base = options.baseDelayMs ?? DEFAULT_VENDOR_RETRY_BASE_DELAY_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (thrown) {
      const error = thrown instanceof SentraError ? thrown : translate(thrown);
      if (!RETRYABLE_CODES.has(error.code) || attempt >= attempts) throw error;
      options.onRetry?.(attempt, error);
      await new Promise((resolve) =>
        setTimeout(resolve, Math.min(MAX_VENDOR_RETRY_DELAY_MS, base * 2 ** (attempt - 1))),
      );
    }
  }
}
