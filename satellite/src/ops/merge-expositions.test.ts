import { Counter, Histogram, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { mergeExpositions } from "./merge-expositions.js";

describe("mergeExpositions", () => {
  it("keeps each family's HELP and TYPE once and tells the sources apart by their labels", async () => {
    const texts = await Promise.all(
      ["eu", "us"].map(async (cluster, index) => {
        const registry = new Registry();
        new Counter({ name: "http_requests_total", help: "Requests", labelNames: ["code"], registers: [registry] }).inc(
          { code: "200" },
          index + 1,
        );
        new Histogram({ name: "duration_seconds", help: "Durations", buckets: [0.1], registers: [registry] }).observe(
          0.05,
        );
        return { labels: { cluster }, text: await registry.metrics() };
      }),
    );
    const merged = mergeExpositions(texts);
    expect(merged.match(/^# TYPE http_requests_total counter$/gm)).toHaveLength(1);
    expect(merged.match(/^# HELP duration_seconds Durations$/gm)).toHaveLength(1);
    expect(merged).toContain('http_requests_total{cluster="eu",code="200"} 1\n');
    expect(merged).toContain('http_requests_total{cluster="us",code="200"} 2\n');
    expect(merged).toContain('duration_seconds_bucket{cluster="us",le="0.1"} 1\n');
    expect(merged).toContain('duration_seconds_count{cluster="eu"} 1\n');
    // Samples of one family stay together, after its header: what Prometheus' parser requires.
    const lines = merged.trim().split("\n");
    const firstDuration = lines.findIndex((line) => line.startsWith("duration_seconds"));
    expect(lines.slice(firstDuration).every((line) => !line.startsWith("http_requests_total"))).toBe(true);
  });

  it("escapes label values", () => {
    expect(mergeExpositions([{ labels: { cluster: 'a"b\\c' }, text: "up 1\n" }])).toBe('up{cluster="a\\"b\\\\c"} 1\n');
  });
});
