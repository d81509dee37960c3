/**
 * Limits of CoordinatorService's request fields that several use cases share, defined once so gRPC,
 * REST and the dashboard socket refuse the same things (the journals' columns are at least this wide).
 */

/** @default 128 — longest idempotency key of Migrate and StartRollout. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 128;
