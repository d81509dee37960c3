/** @default ".sentra/admin-token" — where the bootstrap admin token is kept, relative to the working directory. */
export const DEFAULT_ADMIN_TOKEN_FILE = ".sentra/admin-token";
/** @default 120 — mutating calls (gRPC, REST, socket) one principal may make per minute. */
export const DEFAULT_MUTATION_RATE_LIMIT_PER_MINUTE = 120;
/** @default 2000 — how often the dashboard gateway re-checks its sockets' tokens (revocation on other replicas). */
export const DEFAULT_TOKEN_RECHECK_INTERVAL_MS = 2_000;
/** The name of the admin token the coordinator provisions at start (`SENTRA_ADMIN_TOKEN[_FILE]`). */
export const BOOTSTRAP_ADMIN_TOKEN_NAME = "bootstrap-admin";
/** `created_by` of the bootstrap admin token. */
export const BOOTSTRAP_CREATOR = "bootstrap";
/**
 * What an API token looks like: `sentra_` and 32–192 base64url characters. Generated tokens carry
 * 43 (256 random bits); a deployment's own (`SENTRA_ADMIN_TOKEN`) may be e.g. `sentra_$(openssl rand -hex 32)`.
 */
export const API_TOKEN_PATTERN = /^sentra_[A-Za-z0-9_-]{32,192}$/;
/**
 * @default 30 — refused sign-ins (no token, or one that is not valid) one source address may make
 * in a burst; then {@link REFUSALS_PER_SOURCE_PER_SECOND}. Past it, calls from the address are
 * refused (RESOURCE_EXHAUSTED) before their token is looked up, so guessing tokens costs the
 * coordinator no MySQL query.
 */
export const REFUSAL_BURST_PER_SOURCE = 30;
/** @default 1 — refused sign-ins per second one source address earns back. */
export const REFUSALS_PER_SOURCE_PER_SECOND = 1;
/**
 * @default 10000 — refused calls of one kind (channel, source, principal, action, code) are written
 * to the audit log once, then once per this window with how many there were.
 */
export const REFUSAL_AUDIT_WINDOW_MS = 10_000;
/**
 * @default 32 — server streams (gRPC Watch…) and dashboard sockets one API token may hold open at
 * once on one coordinator; one more is refused with RESOURCE_EXHAUSTED. Enough for many tabs and
 * CLI watches; a leaked token cannot exhaust the coordinator's memory with open streams.
 */
export const DEFAULT_MAX_STREAMS_PER_TOKEN = 32;
