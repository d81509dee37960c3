import { isRecord } from "@sentra/common";
import {
  excerpt,
  fetchTelemetry,
  isHttpResponse,
  parseJsonBody,
  type TelemetryHttpOptions,
} from "./fetch-telemetry.js";
import { type MetricProvider, type ProviderResult, providerError } from "./metric-provider.js";
import { parsePrometheusResult } from "./parse-prometheus-result.js";

/**
 * Options of {@link createLokiProvider}; `baseUrl` is the Loki query frontend (or single binary),
 * e.g. `http://loki:3100`. Multi-tenant Loki needs `headers: { "X-Scope-OrgID": tenant }`.
 */
export type LokiProviderOptions = TelemetryHttpOptions;

/**
 * A LogQL provider over Loki's HTTP API (`GET /loki/api/v1/query`, an instant *metric* query such
 * as `sum(count_over_time(...))` at the evaluation time; Loki 2.x and 3.x answer in the same
 * Prometheus-compatible shape). Log queries (streams) are rejected: a gate needs a number. Loki
 * reports query errors as plain text with a 4xx/5xx status; that text becomes the error.
 */
export function createLokiProvider(options: LokiProviderOptions): MetricProvider {
  return {
    kind: "loki",
    async query(query, at, signal): Promise<ProviderResult> {
      // Loki takes nanoseconds; BigInt keeps all digits.
      const params = { query, time: (BigInt(at.getTime()) * 1_000_000n).toString() };
      const response = await fetchTelemetry(options, "/loki/api/v1/query", params, signal);
      if (!isHttpResponse(response)) return response;
      const body = parseJsonBody(response.body);
      if (response.status < 200 || response.status > 299 || !isRecord(body)) {
        const message = isRecord(body) && typeof body.error === "string" ? body.error : excerpt(response.body);
        return providerError(`Loki answered HTTP ${response.status}: ${message}`);
      }
      if (body.status !== "success") {
        return providerError(`Loki answered status ${JSON.stringify(body.status)}: ${String(body.error ?? "")}`);
      }
      return parsePrometheusResult(body.data);
    },
  };
}
