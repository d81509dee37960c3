import { isRecord } from "@sentra/common";
import {
  excerpt,
  fetchTelemetry,
  isHttpResponse,
  parseJsonBody,
  type TelemetryHttpOptions,
} from "./fetch-telemetry.js";
import { type MetricProvider, type ProviderResult, parseSampleValue, providerError } from "./metric-provider.js";

/** Window used when the caller gives none, in seconds. */
export const DEFAULT_TEMPO_WINDOW_SECONDS = 60;

/**
 * Options of {@link createTempoProvider}; `baseUrl` is the Tempo query frontend, e.g.
 * `http://tempo:3200`. Multi-tenant Tempo needs `headers: { "X-Scope-OrgID": tenant }`.
 */
export type TempoProviderOptions = TelemetryHttpOptions;

/**
 * A TraceQL provider over Tempo's TraceQL *metrics* instant API (`GET /api/metrics/query`,
 * Tempo 2.7+, with `start`/`end` spanning the gate window).
 *
 * Why metrics and not `/api/search`: search returns at most `limit` traces and its
 * `inspectedTraces` counts what was scanned, not what matched, so an error ratio built from it is
 * biased and truncated; the metrics API counts every matching span server-side over the window.
 *
 * Reading the answer (`{"series":[{"labels":[...],"value":N,"promLabels":"..."}],"metrics":{...}}`):
 * - when every series carries a `status` label (the query ends in `by (status)`), the value is
 *   errors / total — spans with status `error` over all spans — and the total is reported as the
 *   sample size, so one query gives ratio and sample from the same window;
 * - otherwise exactly one series is expected and its value is returned;
 * - no series, or a zero total → empty; a partial answer (`"status":"PARTIAL"`) → error, since a
 *   decision must not rest on a truncated count.
 * proto3 JSON omits zero numbers, so a series without `value` counts 0.
 */
export function createTempoProvider(options: TempoProviderOptions): MetricProvider {
  return {
    kind: "tempo",
    async query(query, at, signal, queryOptions): Promise<ProviderResult> {
      const windowSeconds = queryOptions?.windowSeconds ?? DEFAULT_TEMPO_WINDOW_SECONDS;
      const end = Math.floor(at.getTime() / 1000);
      const params = { q: query, start: String(end - Math.ceil(windowSeconds)), end: String(end) };
      const response = await fetchTelemetry(options, "/api/metrics/query", params, signal);
      if (!isHttpResponse(response)) return response;
      const body = parseJsonBody(response.body);
      if (response.status < 200 || response.status > 299 || !isRecord(body)) {
        return providerError(`Tempo answered HTTP ${response.status}: ${excerpt(response.body)}`);
      }
      return parseTempoInstantResponse(body);
    },
  };
}

/** Reads a Tempo `QueryInstantResponse` (JSON) as one number; see {@link createTempoProvider}. */
export function parseTempoInstantResponse(body: Record<string, unknown>): ProviderResult {
  if (body.status === "PARTIAL") {
    return providerError(`Tempo returned a partial result: ${String(body.message ?? "no message")}`);
  }
  const rawSeries = body.series ?? [];
  if (!Array.isArray(rawSeries)) return providerError("Tempo response: series is not a list");
  if (rawSeries.length === 0) return { kind: "empty", detail: "no series" };

  const series: { status: string | undefined; value: number }[] = [];
  for (const item of rawSeries) {
    if (!isRecord(item)) return providerError("Tempo response: a series is not an object");
    const value = item.value === undefined ? 0 : parseSampleValue(item.value);
    if (value === undefined)
      return providerError(`Tempo response: value ${JSON.stringify(item.value)} is not a number`);
    series.push({ status: statusLabel(item), value });
  }

  if (series.every((s) => s.status !== undefined)) {
    const total = series.reduce((sum, s) => sum + s.value, 0);
    const errors = series.filter((s) => s.status === "error").reduce((sum, s) => sum + s.value, 0);
    if (total === 0) return { kind: "empty", detail: "no spans in the window" };
    return { kind: "value", value: errors / total, sampleSize: total };
  }
  const only = series[0];
  if (series.length > 1 || only === undefined) {
    return providerError(
      `Tempo returned ${series.length} series; aggregate to one, or group by (status) for an error ratio`,
    );
  }
  return { kind: "value", value: only.value };
}

/** The `status` label of a series: from `labels` (`stringValue`), else from `promLabels`. */
function statusLabel(series: Record<string, unknown>): string | undefined {
  const labels = Array.isArray(series.labels) ? series.labels : [];
  for (const label of labels) {
    if (!isRecord(label) || label.key !== "status" || !isRecord(label.value)) continue;
    const value = label.value.stringValue ?? label.value.intValue;
    if (value !== undefined) return String(value);
  }
  if (typeof series.promLabels === "string") {
    const match = /(?:^|[{,\s])status="([^"]*)"/.exec(series.promLabels);
    if (match) return match[1];
  }
  return undefined;
}
