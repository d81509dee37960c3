import { isRecord } from "@sentra/common";
import {
  excerpt,
  fetchTelemetry,
  isHttpResponse,
  parseJsonBody,
  type TelemetryHttpOptions,
} from "./fetch-telemetry.js";
import {
  type MetricProvider,
  type ProviderResult,
  providerError,
  type VectorProviderResult,
} from "./metric-provider.js";
import { parsePrometheusResult, parsePrometheusVector } from "./parse-prometheus-result.js";

/** Options of {@link createPrometheusProvider}; `baseUrl` is the Prometheus server, e.g. `http://prometheus:9090`. */
export type PrometheusProviderOptions = TelemetryHttpOptions;

/**
 * A PromQL provider over the Prometheus HTTP API v1 (`GET /api/v1/query`, instant query at the
 * evaluation time). Accepts a one-sample vector or a scalar; error bodies
 * (`{"status":"error","errorType","error"}`) become error results with Prometheus' message.
 */
export function createPrometheusProvider(options: PrometheusProviderOptions): MetricProvider {
  /** The `data` of a successful answer, or the error result. */
  const instantQuery = async (
    query: string,
    at: Date,
    signal: AbortSignal,
  ): Promise<{ data: unknown } | ProviderResult> => {
    const params = { query, time: (at.getTime() / 1000).toFixed(3) };
    const response = await fetchTelemetry(options, "/api/v1/query", params, signal);
    if (!isHttpResponse(response)) return response;
    const body = parseJsonBody(response.body);
    if (!isRecord(body)) {
      return providerError(`Prometheus answered HTTP ${response.status} without JSON: ${excerpt(response.body)}`);
    }
    if (body.status !== "success") {
      return providerError(
        `Prometheus answered HTTP ${response.status}: ${String(body.errorType ?? "error")}: ${String(body.error ?? excerpt(response.body))}`,
      );
    }
    return { data: body.data };
  };
  return {
    kind: "prometheus",
    async query(query, at, signal): Promise<ProviderResult> {
      const answer = await instantQuery(query, at, signal);
      return "data" in answer ? parsePrometheusResult(answer.data) : answer;
    },
    async queryVector(query, at, signal): Promise<VectorProviderResult> {
      const answer = await instantQuery(query, at, signal);
      if ("data" in answer) return parsePrometheusVector(answer.data);
      return { kind: "error", error: answer.kind === "error" ? answer.error : "no data" };
    },
  };
}
