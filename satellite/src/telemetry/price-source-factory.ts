import { SentraError } from "@sentra/common";
import type { SatelliteConfig } from "../config/satellite-config.js";
import {
  createCsvPriceReplay,
  createSpotPriceModel,
  type OverridableSpotPriceSource,
  type SpotPriceSource,
} from "../price/index.js";

/**
 * The price source the configuration asks for: the seeded model, or replay of a recorded CSV, with
 * the configured price overrides (`SENTRA_PRICE_OVERRIDES`) applied; an override of a type the
 * source does not quote fails start-up naming the type.
 */
export async function createPriceSource(config: SatelliteConfig, start: Date): Promise<SpotPriceSource> {
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
  return source;
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
