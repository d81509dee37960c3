import { createLogger } from "@sentra/common";
import { describe, expect, it } from "vitest";
import { fixture, startPriceApiTestServer } from "../price/price-api-test-fixture.js";
import { createPriceSource } from "../telemetry/price-source-factory.js";
import { loadSatelliteConfig } from "./satellite-config.js";

const BASE = { SENTRA_GRPC_INSECURE: "true", SENTRA_CLOUD: "aws", SENTRA_REGION: "us-east-1" } as const;
const logger = createLogger("test", "silent");

describe("price source configuration", () => {
  it("keeps the model in simulated mode and defaults to the cloud's live API with real clusters", () => {
    expect(loadSatelliteConfig(BASE).price).toMatchObject({ source: "model", sourceFromDefault: true });
    const eks = loadSatelliteConfig({ ...BASE, SENTRA_KUBE_CONTEXTS: "inClusterContext" }).price;
    expect(eks).toMatchObject({
      source: "aws",
      sourceFromDefault: true,
      refreshIntervalMs: 300_000,
      maxAgeMs: 900_000,
    });
    const gke = loadSatelliteConfig({ ...BASE, SENTRA_CLOUD: "gcp", SENTRA_REGION: "europe-west1", KUBECONFIG: "/k" });
    expect(gke.price).toMatchObject({ source: "gcp", refreshIntervalMs: 3_600_000, maxAgeMs: 10_800_000 });
    const aks = loadSatelliteConfig({ ...BASE, SENTRA_CLOUD: "azure", SENTRA_REGION: "westeurope", KUBECONFIG: "/k" });
    expect(aks.price).toMatchObject({ source: "azure", azureRetailPricesUrl: "https://prices.azure.com" });
    // The model on real clusters only when asked for.
    const opted = loadSatelliteConfig({ ...BASE, KUBECONFIG: "/k", SENTRA_PRICE_SOURCE: "model" });
    expect(opted.price).toMatchObject({ source: "model", sourceFromDefault: false });
  });

  it("parses the endpoint overrides, the refresh interval, the max age and the Redis cache", () => {
    const config = loadSatelliteConfig({
      ...BASE,
      SENTRA_CLOUD: "gcp",
      SENTRA_REGION: "europe-west1",
      SENTRA_PRICE_SOURCE: "gcp",
      SENTRA_GCP_BILLING_ENDPOINT: "http://127.0.0.1:8123",
      SENTRA_PRICE_REFRESH_INTERVAL_MS: "60000",
      SENTRA_PRICE_MAX_AGE_MS: "120000",
      SENTRA_REDIS_URL: "redis://cache:6379/2",
    }).price;
    expect(config).toMatchObject({
      gcpBillingEndpoint: { apiEndpoint: "127.0.0.1", port: 8123, protocol: "http" },
      refreshIntervalMs: 60_000,
      maxAgeMs: 120_000,
      cache: { redisUrl: "redis://cache:6379/2", redisPrefix: "sentra:" },
    });
    const aws = loadSatelliteConfig({
      ...BASE,
      SENTRA_PRICE_SOURCE: "aws",
      SENTRA_AWS_EC2_ENDPOINT: "https://vpce-1.ec2.us-east-1.vpce.amazonaws.com/",
    });
    expect(aws.price.awsEc2Endpoint).toBe("https://vpce-1.ec2.us-east-1.vpce.amazonaws.com");
    expect(
      loadSatelliteConfig({
        ...BASE,
        SENTRA_CLOUD: "gcp",
        SENTRA_REGION: "us-east1",
        SENTRA_PRICE_SOURCE: "gcp",
        SENTRA_GCP_BILLING_ENDPOINT: "private.googleapis.com",
      }).price.gcpBillingEndpoint,
    ).toEqual({ apiEndpoint: "private.googleapis.com", port: undefined, protocol: "https" });
  });

  it("refuses another cloud's API, forced prices on live prices and a max age below the interval, naming the variables", () => {
    expect(() => loadSatelliteConfig({ ...BASE, SENTRA_PRICE_SOURCE: "gcp" })).toThrow(
      /SENTRA_PRICE_SOURCE.*gcp prices gcp regions, but SENTRA_CLOUD is aws/,
    );
    expect(() => loadSatelliteConfig({ ...BASE, KUBECONFIG: "/k", SENTRA_PRICE_OVERRIDES: "m5.large=0.01" })).toThrow(
      /SENTRA_PRICE_OVERRIDES.*not to live aws prices \(set SENTRA_PRICE_SOURCE=model\)/,
    );
    expect(() =>
      loadSatelliteConfig({
        ...BASE,
        SENTRA_PRICE_SOURCE: "aws",
        SENTRA_PRICE_REFRESH_INTERVAL_MS: "60000",
        SENTRA_PRICE_MAX_AGE_MS: "30000",
      }),
    ).toThrow(/SENTRA_PRICE_MAX_AGE_MS.*at least SENTRA_PRICE_REFRESH_INTERVAL_MS/);
    expect(() => loadSatelliteConfig({ ...BASE, SENTRA_PRICE_SOURCE: "spot" })).toThrow(
      /model, replay, aws, azure or gcp/,
    );
  });

  it("builds a live source from the configuration that quotes PRICE_SOURCE_LIVE prices from the API", async () => {
    await using server = await startPriceApiTestServer((request) => ({
      headers: { "content-type": "application/json" },
      body: fixture(
        request.url.searchParams.has("$skip") ? "azure-retail-prices-page-2.json" : "azure-retail-prices-page-1.json",
      ),
    }));
    const config = loadSatelliteConfig({
      ...BASE,
      SENTRA_CLOUD: "azure",
      SENTRA_REGION: "westeurope",
      KUBECONFIG: "/k",
      SENTRA_AZURE_RETAIL_PRICES_URL: server.url,
    });
    const { source, live } = await createPriceSource(config, new Date(), { logger });
    expect(live).toBe(source);
    expect(await live?.refresh()).toBe("success");
    const quotes = source.quotes(new Date());
    expect(quotes.map((q) => [q.instanceType, q.usdPerHour, q.source])).toEqual([
      ["Standard_D2s_v5", 0.0174, "live"],
      ["Standard_D4s_v5", 0.0348, "live"],
    ]);
    await live?.close();

    const model = await createPriceSource(loadSatelliteConfig(BASE), new Date(), { logger });
    expect(model.live).toBeUndefined();
    expect(model.source.quotes(new Date())[0]?.source).toBe("model");
  });
});
