import { describe, expect, it } from "vitest";
import { createAzureSpotPriceFetcher } from "./azure-spot-price-fetcher.js";
import { fixture, startPriceApiTestServer } from "./price-api-test-fixture.js";

const JSON_TYPE = { "content-type": "application/json; charset=utf-8" };
const noSleep = async (): Promise<void> => undefined;

describe("Azure Retail Prices fetcher (recorded answers)", () => {
  it("filters the region's Linux spot meters, follows NextPageLink on the configured base URL, USD per hour", async () => {
    await using server = await startPriceApiTestServer((request) => ({
      headers: JSON_TYPE,
      body: fixture(
        request.url.searchParams.has("$skip") ? "azure-retail-prices-page-2.json" : "azure-retail-prices-page-1.json",
      ),
    }));
    const fetcher = createAzureSpotPriceFetcher({
      region: "westeurope",
      instanceTypes: ["Standard_D2s_v5", "Standard_D4s_v5"],
      baseUrl: server.url,
    });
    const prices = await fetcher.fetch();
    // Windows meters (same SKU, higher price) are left out.
    expect(prices).toEqual([
      { zone: "", instanceType: "Standard_D2s_v5", usdPerHour: 0.0174 },
      { zone: "", instanceType: "Standard_D4s_v5", usdPerHour: 0.0348 },
    ]);
    expect(server.requests.map((request) => request.url.pathname)).toEqual([
      "/api/retail/prices",
      "/api/retail/prices",
    ]);
    const first = server.requests[0]?.url.searchParams;
    expect(first?.get("$filter")).toBe(
      "serviceName eq 'Virtual Machines' and armRegionName eq 'westeurope' and priceType eq 'Consumption' and " +
        "contains(meterName, 'Spot') and (armSkuName eq 'Standard_D2s_v5' or armSkuName eq 'Standard_D4s_v5')",
    );
    expect(first?.get("currencyCode")).toBe("USD");
    // The second page is the NextPageLink's path and query, on the test server instead of prices.azure.com.
    expect(server.requests[1]?.url.searchParams.get("$skip")).toBe("100");
  });

  it("waits what a 429's Retry-After asks, counts the throttle, then reads on", async () => {
    let calls = 0;
    await using server = await startPriceApiTestServer((request) => {
      calls++;
      if (calls === 2)
        return { status: 429, headers: { "retry-after": "7", ...JSON_TYPE }, body: '{"message":"Too many requests"}' };
      return {
        headers: JSON_TYPE,
        body: fixture(
          request.url.searchParams.has("$skip") ? "azure-retail-prices-page-2.json" : "azure-retail-prices-page-1.json",
        ),
      };
    });
    const pauses: number[] = [];
    const throttled: (number | undefined)[] = [];
    const fetcher = createAzureSpotPriceFetcher({
      region: "westeurope",
      instanceTypes: ["Standard_D2s_v5", "Standard_D4s_v5"],
      baseUrl: server.url,
      throttle: {
        sleep: async (ms) => void pauses.push(ms),
        random: () => 0,
        onThrottle: (_api, retryAfterMs) => void throttled.push(retryAfterMs),
      },
    });
    expect(await fetcher.fetch()).toHaveLength(2);
    expect(throttled).toEqual([7000]);
    expect(pauses).toEqual([7000]); // Retry-After wins over the 0.5 s jittered backoff
    expect(server.requests).toHaveLength(3);
  });

  it("gives up on a 429 that does not end with RESOURCE_EXHAUSTED, and on a 500 with UNAVAILABLE", async () => {
    await using throttling = await startPriceApiTestServer(() => ({ status: 429, body: "" }));
    await expect(
      createAzureSpotPriceFetcher({
        region: "westeurope",
        instanceTypes: ["Standard_D2s_v5"],
        baseUrl: throttling.url,
        throttle: { sleep: noSleep },
      }).fetch(),
    ).rejects.toMatchObject({ code: "RESOURCE_EXHAUSTED", details: { api: "azure" } });
    expect(throttling.requests).toHaveLength(4); // first try + 3 retries

    await using failing = await startPriceApiTestServer(() => ({
      status: 500,
      body: '{"Message":"An error has occurred."}',
    }));
    await expect(
      createAzureSpotPriceFetcher({
        region: "westeurope",
        instanceTypes: ["Standard_D2s_v5"],
        baseUrl: failing.url,
      }).fetch(),
    ).rejects.toMatchObject({
      code: "UNAVAILABLE",
      message: expect.stringMatching(/HTTP 500: .*An error has occurred/),
    });
    expect(failing.requests).toHaveLength(1);
  });

  it("keeps a proxy's path prefix on every page", async () => {
    await using server = await startPriceApiTestServer((request) => ({
      headers: JSON_TYPE,
      body: fixture(
        request.url.searchParams.has("$skip") ? "azure-retail-prices-page-2.json" : "azure-retail-prices-page-1.json",
      ),
    }));
    const fetcher = createAzureSpotPriceFetcher({
      region: "westeurope",
      instanceTypes: ["Standard_D2s_v5", "Standard_D4s_v5"],
      baseUrl: `${server.url}/azure-prices/`,
    });
    await fetcher.fetch();
    expect(server.requests.map((request) => request.url.pathname)).toEqual([
      "/azure-prices/api/retail/prices",
      "/azure-prices/api/retail/prices",
    ]);
  });
});
