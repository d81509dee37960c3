import { describe, expect, it } from "vitest";
import { createGcpSpotPriceFetcher } from "./gcp-spot-price-fetcher.js";
import { fixture, startPriceApiTestServer } from "./price-api-test-fixture.js";

const JSON_TYPE = { "content-type": "application/json; charset=UTF-8" };
const noSleep = async (): Promise<void> => undefined;

function page(request: { url: URL }): string {
  return fixture(request.url.searchParams.get("pageToken") ? "gcp-list-skus-page-2.json" : "gcp-list-skus-page-1.json");
}

describe("GCP Cloud Billing Catalog fetcher (recorded ListSkus answers, REST transport)", () => {
  it("adds the region's Spot core and RAM SKUs per machine shape, units + nanos → USD per instance-hour", async () => {
    await using server = await startPriceApiTestServer((request) => ({ headers: JSON_TYPE, body: page(request) }));
    const fetcher = createGcpSpotPriceFetcher({
      region: "europe-west1",
      instanceTypes: ["n2-standard-2", "n2-highcpu-4", "e2-standard-2"],
      apiEndpoint: "127.0.0.1",
      port: server.port,
      protocol: "http",
      apiKey: "test-only-api-key",
    });
    const prices = await fetcher.fetch();
    await fetcher.close?.();
    // n2-standard-2: 2 vCPU × 0.007352 + 8 GiB × 0.000986; n2-highcpu-4: 4 × 0.007352 + 4 × 0.000986;
    // e2-standard-2: 2 × 0.006923 + 8 × 0.000928. On-demand, custom and us-central1 SKUs are ignored.
    expect(prices).toEqual([
      { zone: "", instanceType: "n2-standard-2", usdPerHour: 0.022592 },
      { zone: "", instanceType: "n2-highcpu-4", usdPerHour: 0.033352 },
      { zone: "", instanceType: "e2-standard-2", usdPerHour: 0.02127 },
    ]);
    expect(server.requests.map((request) => request.url.pathname)).toEqual([
      "/v1/services/6F81-5844-456A/skus",
      "/v1/services/6F81-5844-456A/skus",
    ]);
    expect(server.requests[0]?.url.searchParams.get("currencyCode")).toBe("USD");
    expect(server.requests[1]?.url.searchParams.get("pageToken")).toBe("CAESJDRFNTItODA2Ri01QjdC");
    expect(server.requests[0]?.headers["x-goog-api-key"]).toBe("test-only-api-key");
  });

  it("retries RESOURCE_EXHAUSTED with backoff and counts it, then surfaces it when it persists", async () => {
    let calls = 0;
    await using server = await startPriceApiTestServer((request) => {
      calls++;
      return calls === 1
        ? { status: 429, headers: JSON_TYPE, body: fixture("gcp-resource-exhausted.json") }
        : { headers: JSON_TYPE, body: page(request) };
    });
    const throttles: string[] = [];
    const pauses: number[] = [];
    const options = {
      region: "europe-west1",
      instanceTypes: ["n2-standard-2"],
      apiEndpoint: "127.0.0.1",
      port: server.port,
      protocol: "http" as const,
      apiKey: "k",
      throttle: {
        random: () => 1,
        sleep: async (ms: number) => void pauses.push(ms),
        onThrottle: (api: string) => void throttles.push(api),
      },
    };
    const fetcher = createGcpSpotPriceFetcher(options);
    expect(await fetcher.fetch()).toEqual([{ zone: "", instanceType: "n2-standard-2", usdPerHour: 0.022592 }]);
    await fetcher.close?.();
    expect(throttles).toEqual(["gcp"]);
    expect(pauses).toEqual([1000]);

    await using exhausted = await startPriceApiTestServer(() => ({
      status: 429,
      headers: JSON_TYPE,
      body: fixture("gcp-resource-exhausted.json"),
    }));
    const stuck = createGcpSpotPriceFetcher({
      ...options,
      port: exhausted.port,
      throttle: { sleep: noSleep, maxRetries: 1 },
    });
    await expect(stuck.fetch()).rejects.toMatchObject({
      code: "RESOURCE_EXHAUSTED",
      message: expect.stringContaining("Quota exceeded"),
    });
    await stuck.close?.();
    expect(exhausted.requests).toHaveLength(2);
  });

  it("says to enable the API when the project may not use it (PERMISSION_DENIED), without retrying", async () => {
    await using server = await startPriceApiTestServer(() => ({
      status: 403,
      headers: JSON_TYPE,
      body: fixture("gcp-permission-denied.json"),
    }));
    const fetcher = createGcpSpotPriceFetcher({
      region: "europe-west1",
      instanceTypes: ["n2-standard-2"],
      apiEndpoint: "127.0.0.1",
      port: server.port,
      protocol: "http",
      apiKey: "k",
      throttle: { sleep: noSleep },
    });
    await expect(fetcher.fetch()).rejects.toMatchObject({
      code: "PERMISSION_DENIED",
      message: expect.stringMatching(/has not been used.*enable the Cloud Billing API/),
    });
    await fetcher.close?.();
    expect(server.requests).toHaveLength(1);
  });

  it("refuses a machine type whose shape it does not know", () => {
    expect(() => createGcpSpotPriceFetcher({ region: "europe-west1", instanceTypes: ["n2-mystery-3"] })).toThrow(
      /unknown gcp machine type "n2-mystery-3"/,
    );
  });
});
