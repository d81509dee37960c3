import { isRecord } from "@sentra/common";
import {
  type ProviderResult,
  parseSampleValue,
  providerError,
  type VectorProviderResult,
  type VectorSample,
} from "./metric-provider.js";

/** Reads the `data` of an instant query as every series of a vector (an empty vector is no series). */
export function parsePrometheusVector(data: unknown): VectorProviderResult {
  if (!isRecord(data)) return { kind: "error", error: "response has no data object" };
  if (data.resultType !== "vector" || !Array.isArray(data.result)) {
    return { kind: "error", error: `expected an instant vector, got ${JSON.stringify(data.resultType)}` };
  }
  const samples: VectorSample[] = [];
  for (const series of data.result) {
    if (!isRecord(series) || !isRecord(series.metric) || !Array.isArray(series.value)) {
      return { kind: "error", error: "vector series without metric labels and value" };
    }
    const value = parseSampleValue(series.value[1]);
    if (value === undefined)
      return { kind: "error", error: `sample value ${JSON.stringify(series.value[1])} is not a number` };
    const labels: Record<string, string> = {};
    for (const [name, label] of Object.entries(series.metric)) if (typeof label === "string") labels[name] = label;
    samples.push({ labels, value });
  }
  return { kind: "vector", samples };
}

/**
 * Reads the `data` of a Prometheus-style instant query (`/api/v1/query`, Loki's
 * `/loki/api/v1/query`) as one number:
 * - `vector` with one sample → its value; with none → empty; with several → error, because a gate
 *   compares one number and picking one series silently would hide the others;
 * - `scalar` → its value;
 * - anything else (`matrix`, `string`, Loki `streams`) → error naming the type.
 */
export function parsePrometheusResult(data: unknown): ProviderResult {
  if (!isRecord(data)) return providerError("response has no data object");
  const { resultType, result } = data;
  switch (resultType) {
    case "vector": {
      if (!Array.isArray(result)) return providerError("vector result is not a list");
      if (result.length === 0) return { kind: "empty", detail: "empty vector" };
      if (result.length > 1) {
        const labels = result.slice(0, 3).map((series) => JSON.stringify(isRecord(series) ? series.metric : series));
        return providerError(
          `query returned ${result.length} series (${labels.join(", ")}${result.length > 3 ? ", …" : ""}); aggregate it to one, e.g. with sum()`,
        );
      }
      const sample = result[0];
      return sampleValue(isRecord(sample) ? sample.value : undefined);
    }
    case "scalar":
      return sampleValue(result);
    case "streams":
      return providerError("query returned log streams; gates need a metric query such as count_over_time(...)");
    default:
      return providerError(
        `unsupported result type ${JSON.stringify(resultType)}; gates need an instant vector or scalar`,
      );
  }
}

/** `[<unix seconds>, "<value>"]` → value result. */
function sampleValue(pair: unknown): ProviderResult {
  if (!Array.isArray(pair) || pair.length !== 2) return providerError("sample is not a [timestamp, value] pair");
  const value = parseSampleValue(pair[1]);
  if (value === undefined) return providerError(`sample value ${JSON.stringify(pair[1])} is not a number`);
  return { kind: "value", value };
}
