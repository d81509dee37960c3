import { readFile } from "node:fs/promises";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createLokiProvider } from "./loki-provider.js";
import type { ProviderResult } from "./metric-provider.js";
import { createPrometheusProvider } from "./prometheus-provider.js";
import { createTempoProvider, parseTempoInstantResponse } from "./tempo-provider.js";

interface Reply {
  readonly status?: number;
  /** Fixture file under ./fixtures. */
  readonly fixture: string;
  /** Milliseconds to wait before answering. */
  readonly delayMs?: number;
}

interface RecordedRequest {
  readonly url: URL;
  readonly headers: IncomingHttpHeaders;
}

/** A tiny HTTP server answering every request with a recorded API response. */
async function serveFixture(reply: Reply) {
  const body = await readFile(new URL(`./fixtures/${reply.fixture}`, import.meta.url));
  const contentType = reply.fixture.endsWith(".json") ? "application/json" : "text/plain; charset=utf-8";
  const requests: RecordedRequest[] = [];
  const delayed: NodeJS.Timeout[] = [];
  const server = createServer((request, response) => {
    requests.push({ url: new URL(request.url ?? "/", "http://fixture"), headers: request.headers });
    const answer = (): void => {
      response.writeHead(reply.status ?? 200, { "content-type": contentType });
      response.end(body);
    };
    if (reply.delayMs === undefined) answer();
    else delayed.push(setTimeout(answer, reply.delayMs));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const close = async (): Promise<void> => {
    for (const timer of delayed) clearTimeout(timer);
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  servers.push(close);
  return { url: `http://127.0.0.1:${port}`, requests };
}

const servers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((close) => close()));
});

const at = new Date("2025-01-01T00:00:30.000Z");
const signal = () => new AbortController().signal;

function numberIn(result: ProviderResult): number {
  if (result.kind !== "value") throw new Error(`expected a value, got ${JSON.stringify(result)}`);
  return result.value;
}

describe("Prometheus provider (HTTP API v1)", () => {
  it("reads a one-sample vector and sends query and evaluation time", async () => {
    const server = await serveFixture({ fixture: "prometheus-v1-query-vector.json" });
    const provider = createPrometheusProvider({ baseUrl: server.url });
    const result = await provider.query('sum(rate(http_requests_total{service="a"}[30s]))', at, signal());
    expect(numberIn(result)).toBeCloseTo(0.012345679, 9);
    const [request] = server.requests;
    expect(request?.url.pathname).toBe("/api/v1/query");
    expect(request?.url.searchParams.get("query")).toBe('sum(rate(http_requests_total{service="a"}[30s]))');
    expect(request?.url.searchParams.get("time")).toBe("1735689630.000");
  });

  it("reads a scalar", async () => {
    const server = await serveFixture({ fixture: "prometheus-v1-query-scalar.json" });
    const result = await createPrometheusProvider({ baseUrl: server.url }).query("scalar(x)", at, signal());
    expect(numberIn(result)).toBe(412);
  });

  it("passes NaN through for the gate evaluator to judge", async () => {
    const server = await serveFixture({ fixture: "prometheus-v1-query-nan.json" });
    const result = await createPrometheusProvider({ baseUrl: server.url }).query("x", at, signal());
    expect(Number.isNaN(numberIn(result))).toBe(true);
  });

  it("reports an empty vector as empty", async () => {
    const server = await serveFixture({ fixture: "prometheus-v1-query-empty.json" });
    const result = await createPrometheusProvider({ baseUrl: server.url }).query("x", at, signal());
    expect(result).toEqual({ kind: "empty", detail: "empty vector" });
  });

  it("refuses several series instead of picking one", async () => {
    const server = await serveFixture({ fixture: "prometheus-v1-query-two-series.json" });
    const result = await createPrometheusProvider({ baseUrl: server.url }).query("x", at, signal());
    expect(result.kind).toBe("error");
    expect(result.kind === "error" && result.error).toMatch(/2 series.*sum\(\)/);
  });

  it("turns an error body into an error result with Prometheus' message", async () => {
    const server = await serveFixture({ status: 400, fixture: "prometheus-v1-query-error-400.json" });
    const result = await createPrometheusProvider({ baseUrl: server.url }).query("sum(", at, signal());
    expect(result).toEqual({
      kind: "error",
      error:
        'Prometheus answered HTTP 400: bad_data: invalid parameter "query": 1:23: parse error: unclosed left parenthesis',
    });
  });

  it("keeps a path prefix of the base URL", async () => {
    const server = await serveFixture({ fixture: "prometheus-v1-query-vector.json" });
    await createPrometheusProvider({ baseUrl: `${server.url}/prom/` }).query("x", at, signal());
    expect(server.requests[0]?.url.pathname).toBe("/prom/api/v1/query");
  });

  it("times out instead of hanging an evaluation", async () => {
    const server = await serveFixture({ fixture: "prometheus-v1-query-vector.json", delayMs: 2_000 });
    const result = await createPrometheusProvider({ baseUrl: server.url, timeoutMs: 50 }).query("x", at, signal());
    expect(result).toEqual({ kind: "error", error: "/api/v1/query timed out after 50 ms" });
  });

  it("reports an unreachable server as an error, not a rejection", async () => {
    const server = await serveFixture({ fixture: "prometheus-v1-query-vector.json" });
    await Promise.all(servers.splice(0).map((close) => close()));
    const result = await createPrometheusProvider({ baseUrl: server.url }).query("x", at, signal());
    expect(result.kind === "error" && result.error).toMatch(/^\/api\/v1\/query unreachable: /);
  });
});

describe("Loki provider (recorded Loki 3.x /loki/api/v1/query responses)", () => {
  it("reads an instant metric query, with time in nanoseconds and the tenant header", async () => {
    const server = await serveFixture({ fixture: "loki-v3-query-vector.json" });
    const provider = createLokiProvider({ baseUrl: server.url, headers: { "X-Scope-OrgID": "team-a" } });
    const query = 'sum(count_over_time({service="checkout"}[30s]))';
    expect(numberIn(await provider.query(query, at, signal()))).toBe(0.0021);
    const [request] = server.requests;
    expect(request?.url.pathname).toBe("/loki/api/v1/query");
    expect(request?.url.searchParams.get("query")).toBe(query);
    expect(request?.url.searchParams.get("time")).toBe("1735689630000000000");
    expect(request?.headers["x-scope-orgid"]).toBe("team-a");
  });

  it("reports an empty vector as empty", async () => {
    const server = await serveFixture({ fixture: "loki-v3-query-empty.json" });
    const result = await createLokiProvider({ baseUrl: server.url }).query("x", at, signal());
    expect(result).toEqual({ kind: "empty", detail: "empty vector" });
  });

  it("reports Loki's plain-text query error", async () => {
    const server = await serveFixture({ status: 400, fixture: "loki-v3-query-error-400.txt" });
    const result = await createLokiProvider({ baseUrl: server.url }).query("sum(", at, signal());
    expect(result).toEqual({
      kind: "error",
      error:
        "Loki answered HTTP 400: parse error at line 1, col 42: syntax error: unexpected IDENTIFIER, expecting STRING",
    });
  });
});

describe("Tempo provider (recorded Tempo 2.7 /api/metrics/query responses)", () => {
  const byStatus = '{ resource.service.name = "checkout" } | count_over_time() by (status)';

  it("turns counts by status into an error ratio with the span count as sample size", async () => {
    const server = await serveFixture({ fixture: "tempo-v2.7-metrics-query-by-status.json" });
    const result = await createTempoProvider({ baseUrl: server.url }).query(byStatus, at, signal(), {
      windowSeconds: 30,
    });
    expect(result).toEqual({ kind: "value", value: 3 / 600, sampleSize: 600 });
    const [request] = server.requests;
    expect(request?.url.pathname).toBe("/api/metrics/query");
    expect(request?.url.searchParams.get("q")).toBe(byStatus);
    expect(request?.url.searchParams.get("start")).toBe("1735689600");
    expect(request?.url.searchParams.get("end")).toBe("1735689630");
  });

  it("reads zero errors when no series has status error", async () => {
    const server = await serveFixture({ fixture: "tempo-v2.7-metrics-query-no-errors.json" });
    const result = await createTempoProvider({ baseUrl: server.url }).query(byStatus, at, signal());
    expect(result).toEqual({ kind: "value", value: 0, sampleSize: 240 });
  });

  it("reads a single series as its value", async () => {
    const server = await serveFixture({ fixture: "tempo-v2.7-metrics-query-quantile.json" });
    const result = await createTempoProvider({ baseUrl: server.url }).query(
      "{} | quantile_over_time(duration, .95)",
      at,
      signal(),
    );
    expect(result).toEqual({ kind: "value", value: 0.231 });
  });

  it("reports no series (omitted in proto3 JSON) as empty", async () => {
    const server = await serveFixture({ fixture: "tempo-v2.7-metrics-query-empty.json" });
    const result = await createTempoProvider({ baseUrl: server.url }).query(byStatus, at, signal());
    expect(result).toEqual({ kind: "empty", detail: "no series" });
  });

  it("reports Tempo's plain-text query error", async () => {
    const server = await serveFixture({ status: 400, fixture: "tempo-v2.7-metrics-query-error-400.txt" });
    const result = await createTempoProvider({ baseUrl: server.url }).query("{ x", at, signal());
    expect(result).toEqual({
      kind: "error",
      error:
        "Tempo answered HTTP 400: invalid TraceQL query: parse error at line 1, col 3: syntax error: unexpected IDENT",
    });
  });

  it("counts a series without value as 0 (proto3 JSON omits zeros) and refuses partial results", () => {
    const zeroErrors = {
      series: [
        { labels: [{ key: "status", value: { stringValue: "error" } }], promLabels: '{status="error"}' },
        { labels: [{ key: "status", value: { stringValue: "ok" } }], value: 80 },
      ],
    };
    expect(parseTempoInstantResponse(zeroErrors)).toEqual({ kind: "value", value: 0, sampleSize: 80 });
    expect(parseTempoInstantResponse({ ...zeroErrors, status: "PARTIAL", message: "limit hit" })).toEqual({
      kind: "error",
      error: "Tempo returned a partial result: limit hit",
    });
  });
});
