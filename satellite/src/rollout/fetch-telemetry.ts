import { type ProviderResult, providerError } from "./metric-provider.js";

/** Per-request timeout of telemetry queries, in ms: below the 2 s minimum evaluation interval. */
export const DEFAULT_TELEMETRY_TIMEOUT_MS = 1500;

/** Connection options shared by the HTTP telemetry providers. */
export interface TelemetryHttpOptions {
  /** Base URL of the API, e.g. `http://prometheus:9090`; a path prefix (`http://gw/prom`) is kept. */
  readonly baseUrl: string;
  /** Deadline of one request, in milliseconds. @default 1500 */
  readonly timeoutMs?: number;
  /** Extra request headers, e.g. `X-Scope-OrgID` (tenant) or `Authorization`. @default {} */
  readonly headers?: Readonly<Record<string, string>>;
  /** The fetch to use. @default globalThis.fetch */
  readonly fetch?: typeof fetch;
}

/** A completed HTTP exchange, whatever its status. */
export interface TelemetryHttpResponse {
  readonly status: number;
  readonly body: string;
}

/**
 * GETs `path` with `params` from a telemetry API under a deadline. Transport failures, timeouts
 * and cancellation come back as an error {@link ProviderResult}, never as a rejection.
 */
export async function fetchTelemetry(
  options: TelemetryHttpOptions,
  path: string,
  params: Readonly<Record<string, string>>,
  signal: AbortSignal,
): Promise<TelemetryHttpResponse | ProviderResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TELEMETRY_TIMEOUT_MS;
  const url = `${options.baseUrl.replace(/\/+$/, "")}${path}?${new URLSearchParams(params).toString()}`;
  const timeout = AbortSignal.timeout(timeoutMs);
  const doFetch = options.fetch ?? globalThis.fetch;
  try {
    const response = await doFetch(url, {
      method: "GET",
      headers: { accept: "application/json", ...options.headers },
      signal: AbortSignal.any([signal, timeout]),
    });
    return { status: response.status, body: await response.text() };
  } catch (error) {
    if (timeout.aborted) return providerError(`${path} timed out after ${timeoutMs} ms`);
    if (signal.aborted) return providerError(`${path} cancelled: ${describe(signal.reason)}`);
    return providerError(`${path} unreachable: ${describe(error)}`);
  }
}

/** True when the exchange completed (as opposed to an error result). */
export function isHttpResponse(value: TelemetryHttpResponse | ProviderResult): value is TelemetryHttpResponse {
  return "status" in value;
}

/** Parses a JSON body; undefined when it is not JSON. */
export function parseJsonBody(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}

/** The first 300 characters of a body, on one line, for error messages. */
export function excerpt(body: string): string {
  const oneLine = body.replace(/\s+/g, " ").trim();
  return oneLine.length > 300 ? `${oneLine.slice(0, 300)}…` : oneLine;
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? ` (${error.cause.message})` : "";
    return `${error.message}${cause}`;
  }
  return String(error);
}
