import { readFileSync } from "node:fs";
import { type Logger, SentraError } from "@sentra/common";
import type { SatelliteConfig } from "../config/satellite-config.js";
import {
  createAwsSpotPriceFetcher,
  createAzureSpotPriceFetcher,
  createCsvPriceReplay,
  createGcpSpotPriceFetcher,
  createLiveSpotPriceSource,
  createMemoryPriceCache,
  createRedisPriceCache,
  createSpotPriceModel,
  instanceTypesOf,
  type LivePriceFetcher,
  type LivePriceMetrics,
  type LiveSpotPriceSource,
  type OverridableSpotPriceSource,
  type SpotPriceSource,
  type ThrottleRetryOptions,
} from "../price/index.js";

/** The satellite's price source, and the live one's handle when it is live (started, closed by the caller). */
export interface ConfiguredPriceSource {
  source: SpotPriceSource;
  live: LiveSpotPriceSource | undefined;
}

/**
 * The price source the configuration asks for: a cloud's live pricing API (`aws`, `azure`,
 * `gcp`), the seeded model or replay of a recorded CSV; the model and replay with the configured
 * price overrides (`SENTRA_PRICE_OVERRIDES`) applied (an override of a type the source does not
 * quote fails start-up naming the type). A live source is returned unstarted.
 */
export async function createPriceSource(
  config: SatelliteConfig,
  start: Date,
  live: { logger: Logger; metrics?: LivePriceMetrics; throttle?: ThrottleRetryOptions } | undefined = undefined,
): Promise<ConfiguredPriceSource> {
  const name = config.price.source;
  if (name === "aws" || name === "azure" || name === "gcp") {
    if (live === undefined) throw new SentraError("INTERNAL", "a live price source needs a logger");
    const source = createLivePriceSource(config, name, live.logger, live.metrics, live.throttle);
    return { source, live: source };
  }
  const source = await createBaseSource(config, start);
  for (const { instanceType, usdPerHour } of config.price.overrides) {
    try {
      source.setOverride(instanceType, usdPerHour);
    } catch (error) {
      throw new SentraError(
        "INVALID_ARGUMENT",
        `SENTRA_PRICE_OVERRIDES: ${error instanceof Error ? error.message : String(error)}`,
        { field: "SENTRA_PRICE_OVERRIDES", cause: error },
      );
    }
  }
  return { source, live: undefined };
}

function createLivePriceSource(
  config: SatelliteConfig,
  api: "aws" | "azure" | "gcp",
  logger: Logger,
  metrics: LivePriceMetrics | undefined,
  throttle: ThrottleRetryOptions | undefined,
): LiveSpotPriceSource {
  const { region } = config;
  const instanceTypes = config.price.instanceTypes ?? instanceTypesOf(config.cloud).map((type) => type.name);
  const onThrottle = (): void => metrics?.throttled(api);
  const throttleOptions: ThrottleRetryOptions = { ...throttle, onThrottle };
  let fetcher: LivePriceFetcher;
  switch (api) {
    case "aws":
      fetcher = createAwsSpotPriceFetcher({
        region,
        instanceTypes,
        throttle: throttleOptions,
        ...(config.price.awsEc2Endpoint !== undefined ? { endpoint: config.price.awsEc2Endpoint } : {}),
      });
      break;
    case "azure":
      fetcher = createAzureSpotPriceFetcher({
        region,
        instanceTypes,
        baseUrl: config.price.azureRetailPricesUrl,
        throttle: throttleOptions,
      });
      break;
    case "gcp": {
      const endpoint = config.price.gcpBillingEndpoint;
      fetcher = createGcpSpotPriceFetcher({
        region,
        instanceTypes,
        throttle: throttleOptions,
        ...(endpoint !== undefined
          ? {
              apiEndpoint: endpoint.apiEndpoint,
              protocol: endpoint.protocol,
              ...(endpoint.port !== undefined ? { port: endpoint.port } : {}),
            }
          : {}),
        ...(config.price.gcpApiKeyFile !== undefined ? { apiKey: readApiKey(config.price.gcpApiKeyFile) } : {}),
      });
      break;
    }
  }
  const cache =
    config.price.cache.redisUrl !== undefined
      ? createRedisPriceCache(config.price.cache.redisUrl, config.price.cache.redisPrefix)
      : createMemoryPriceCache();
  return createLiveSpotPriceSource({
    cloud: config.cloud,
    region,
    instanceTypes,
    fetcher,
    cache,
    refreshIntervalMs: config.price.refreshIntervalMs,
    maxAgeMs: config.price.maxAgeMs,
    logger,
    ...(metrics !== undefined ? { metrics } : {}),
  });
}

/** The API key in `SENTRA_GCP_API_KEY_FILE` (trimmed); never logged. */
function readApiKey(path: string): string {
  let key: string;
  try {
    key = readFileSync(path, "utf8").trim();
  } catch (error) {
    throw new SentraError(
      "INVALID_ARGUMENT",
      `SENTRA_GCP_API_KEY_FILE: cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`,
      { field: "SENTRA_GCP_API_KEY_FILE", cause: error },
    );
  }
  if (key === "") {
    throw new SentraError("INVALID_ARGUMENT", `SENTRA_GCP_API_KEY_FILE: ${path} is empty`, {
      field: "SENTRA_GCP_API_KEY_FILE",
    });
  }
  return key;
}

async function createBaseSource(config: SatelliteConfig, start: Date): Promise<OverridableSpotPriceSource> {
  if (config.price.source === "replay" && config.price.replayCsv) {
    return await createCsvPriceReplay({
      path: config.price.replayCsv,
      cloud: config.cloud,
      region: config.region,
      start,
      speed: config.price.replaySpeed,
      loop: true,
      ...(config.price.instanceTypes ? { instanceTypes: config.price.instanceTypes } : {}),
    });
  }
  return createSpotPriceModel({
    cloud: config.cloud,
    region: config.region,
    seed: config.price.seed ?? hashSeed(config.satelliteId),
    start,
    ...(config.price.instanceTypes ? { instanceTypes: config.price.instanceTypes } : {}),
  });
}

/** A stable seed per satellite id, so a satellite's simulated prices are reproducible. */
function hashSeed(text: string): number {
  let hash = 2166136261;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 16777619);
  }
  return hash >>> 0;
}
