import { afterEach, describe, expect, it } from "vitest";
import { WeightedVersionTraffic } from "./weighted-version-traffic.js";

/** Requests per `version/code` in a Prometheus text exposition. */
function requests(text: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const match of text.matchAll(/^http_requests_total\{([^}]*)\} (\d+)/gm)) {
    const labels = match[1] ?? "";
    const key = `${/version="([^"]*)"/.exec(labels)?.[1]}/${/code="([^"]*)"/.exec(labels)?.[1]}`;
    counts[key] = (counts[key] ?? 0) + Number(match[2]);
  }
  return counts;
}

describe("WeightedVersionTraffic (the simulated cluster's traffic model behind cloud endpoints)", () => {
  let traffic: WeightedVersionTraffic;
  afterEach(async () => {
    await traffic.close();
  });

  it("splits each rule's requests exactly by weight, rules taking turns, with each version's behaviour", async () => {
    // A tick far in the future: the test sends the requests itself, one second's worth at a time.
    traffic = new WeightedVersionTraffic({ requestsPerSecond: 100, tickMs: 3_600_000 });
    traffic.setBehaviour("checkout", "2", { errorRate: 0.5, latencyMs: 0 });
    traffic.setBehaviour("checkout", "1", { latencyMs: 0 });
    traffic.setEntry("checkout:live", [
      [
        { service: "checkout", version: "1", weight: 3 },
        { service: "checkout", version: "2", weight: 1 },
      ],
    ]);
    await traffic.tick(performance.now() + 1000);
    expect(requests(await traffic.metrics())).toEqual({ "1/200": 75, "2/200": 13, "2/500": 12 });

    // Two rules (a listener's default action and a rule) share the entry's requests.
    traffic.setEntry("checkout:live", [
      [{ service: "checkout", version: "1", weight: 1 }],
      [{ service: "checkout", version: "3", weight: 1 }],
    ]);
    traffic.setBehaviour("checkout", "3", { latencyMs: 0 });
    await traffic.tick(performance.now() + 2000);
    const after = requests(await traffic.metrics());
    expect(after["3/200"]).toBeGreaterThanOrEqual(49);
    expect((after["1/200"] ?? 0) - 75).toBeGreaterThanOrEqual(49);

    traffic.deleteEntry("checkout:live");
    await traffic.tick(performance.now() + 3000);
    expect(requests(await traffic.metrics())).toEqual(after);
  });
});
