import { describe, expect, it } from "vitest";
import { createAwsSpotPriceFetcher } from "./aws-spot-price-fetcher.js";
import { fixture, startPriceApiTestServer } from "./price-api-test-fixture.js";

const XML = { "content-type": "text/xml;charset=UTF-8" };
const credentials = { accessKeyId: "AKIDTESTONLY", secretAccessKey: "test-only-secret" };
const NOW = new Date("2026-12-07T15:00:00.000Z");
const noSleep = async (): Promise<void> => undefined;

describe("AWS DescribeSpotPriceHistory fetcher (recorded EC2 answers)", () => {
  it("reads every NextToken page and keeps the newest price per zone and instance type, in USD per hour", async () => {
    await using server = await startPriceApiTestServer((_request, index) => ({
      headers: XML,
      body: fixture(
        index === 0 ? "aws-describe-spot-price-history-page-1.xml" : "aws-describe-spot-price-history-page-2.xml",
      ),
    }));
    const fetcher = createAwsSpotPriceFetcher({
      region: "us-east-1",
      instanceTypes: ["m5.large", "c5.large"],
      endpoint: server.url,
      credentials,
      now: () => NOW,
    });
    const prices = await fetcher.fetch();
    await fetcher.close?.();

    expect(prices.sort((a, b) => `${a.instanceType}${a.zone}`.localeCompare(`${b.instanceType}${b.zone}`))).toEqual([
      { zone: "us-east-1a", instanceType: "c5.large", usdPerHour: 0.0347 },
      { zone: "us-east-1b", instanceType: "c5.large", usdPerHour: 0.0363 },
      // Page 2's 14:02:51 row is newer than page 1's 13:41:07 row for the same zone.
      { zone: "us-east-1a", instanceType: "m5.large", usdPerHour: 0.0401 },
      { zone: "us-east-1b", instanceType: "m5.large", usdPerHour: 0.0398 },
      { zone: "us-east-1c", instanceType: "m5.large", usdPerHour: 0.0439 },
    ]);
    expect(server.requests).toHaveLength(2);
    const [first, second] = server.requests.map((request) => new URLSearchParams(request.body));
    expect(first?.get("Action")).toBe("DescribeSpotPriceHistory");
    expect(first?.get("InstanceType.1")).toBe("m5.large");
    expect(first?.get("InstanceType.2")).toBe("c5.large");
    expect(first?.get("ProductDescription.1")).toBe("Linux/UNIX");
    expect(first?.get("StartTime")).toBe(NOW.toISOString().replace(".000Z", "Z"));
    expect(first?.get("NextToken")).toBeNull();
    expect(second?.get("NextToken")).toBe("eyJ2IjoiMiIsImMiOiJ1cy1lYXN0LTFhIiwicyI6IjE3NjUxMTQ4NjcifQ==");
    // Signed with SigV4 for the region's ec2 service; the secret never travels.
    expect(String(server.requests[0]?.headers.authorization)).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDTESTONLY\/\d{8}\/us-east-1\/ec2\//,
    );
    expect(server.requests[0]?.body).not.toContain("test-only-secret");
  });

  it("retries a RequestLimitExceeded page with backoff, counting each throttle, and resumes the paging", async () => {
    const script = ["page-1", "throttle", "throttle", "page-2"];
    await using server = await startPriceApiTestServer((_request, index) =>
      script[index] === "throttle"
        ? { status: 503, headers: XML, body: fixture("aws-request-limit-exceeded.xml") }
        : { headers: XML, body: fixture(`aws-describe-spot-price-history-${script[index]}.xml`) },
    );
    const pauses: number[] = [];
    let throttles = 0;
    const fetcher = createAwsSpotPriceFetcher({
      region: "us-east-1",
      instanceTypes: ["m5.large", "c5.large"],
      endpoint: server.url,
      credentials,
      throttle: {
        baseDelayMs: 1000,
        random: () => 0.5,
        sleep: async (ms) => void pauses.push(ms),
        onThrottle: (api) => {
          expect(api).toBe("aws");
          throttles++;
        },
      },
    });
    const prices = await fetcher.fetch();
    await fetcher.close?.();
    expect(prices).toHaveLength(5);
    expect(throttles).toBe(2);
    expect(pauses).toEqual([750, 1500]); // 1 s then 2 s, half fixed and half jittered (random 0.5)
    expect(new URLSearchParams(server.requests[1]?.body).get("NextToken")).toBe(
      new URLSearchParams(server.requests[3]?.body).get("NextToken"),
    );
  });

  it("gives up after the retries with RESOURCE_EXHAUSTED naming the call", async () => {
    await using server = await startPriceApiTestServer(() => ({
      status: 503,
      headers: XML,
      body: fixture("aws-request-limit-exceeded.xml"),
    }));
    const fetcher = createAwsSpotPriceFetcher({
      region: "us-east-1",
      instanceTypes: ["m5.large"],
      endpoint: server.url,
      credentials,
      throttle: { maxRetries: 2, sleep: noSleep },
    });
    await expect(fetcher.fetch()).rejects.toMatchObject({
      code: "RESOURCE_EXHAUSTED",
      message: expect.stringContaining("EC2 DescribeSpotPriceHistory in us-east-1"),
    });
    await fetcher.close?.();
    expect(server.requests).toHaveLength(3);
  });

  it("surfaces refused credentials as UNAUTHENTICATED saying what to do, without retrying", async () => {
    await using server = await startPriceApiTestServer(() => ({
      status: 401,
      headers: XML,
      body: fixture("aws-auth-failure.xml"),
    }));
    const fetcher = createAwsSpotPriceFetcher({
      region: "eu-west-1",
      instanceTypes: ["m5.large"],
      endpoint: server.url,
      credentials,
      throttle: { sleep: noSleep },
    });
    const error = await fetcher.fetch().catch((caught: unknown) => caught);
    await fetcher.close?.();
    expect(error).toMatchObject({ code: "UNAUTHENTICATED" });
    expect(String((error as Error).message)).toMatch(/AuthFailure.*IRSA or Pod Identity/);
    expect(String((error as Error).message)).not.toContain("test-only-secret");
    expect(server.requests).toHaveLength(1);
  });

  it("says the endpoint is unreachable when nothing listens there", async () => {
    const server = await startPriceApiTestServer(() => ({ body: "" }));
    const url = server.url;
    await server[Symbol.asyncDispose]();
    const fetcher = createAwsSpotPriceFetcher({
      region: "us-east-1",
      instanceTypes: ["m5.large"],
      endpoint: url,
      credentials,
    });
    await expect(fetcher.fetch()).rejects.toMatchObject({ code: "UNAVAILABLE", message: expect.stringContaining(url) });
    await fetcher.close?.();
  });
});
