import { SentraError } from "@sentra/common";
import { isCloud } from "../region/region-catalog.js";
import { findInstanceType, instanceFamily, instanceTypesOf } from "./instance-types.js";
import {
  DEFAULT_MODEL_PARAMETERS,
  MODEL_PARAMETER_NAMES,
  type ModelParameters,
  modelParametersFor,
} from "./model-parameters.js";
import { resolveSeriesPricing } from "./reference-prices.js";
import { createSeededRandom, deriveSeed, type SeededRandom } from "./seeded-random.js";
import { type OverridableSpotPriceSource, PriceOverrides, type SpotPriceQuote } from "./spot-price-source.js";

export interface SpotPriceModelOptions {
  cloud: string;
  region: string;
  /** Instance types to quote. @default every type of `cloud` in INSTANCE_TYPES */
  instanceTypes?: readonly string[];
  /**
   * Zones, each an independent series. @default AWS `<region>a`, `<region>b`, `<region>c`
   * (nominal names: AWS zone names differ per account anyway); GCP and Azure `""` (regional prices).
   */
  zones?: readonly string[];
  /** Seed of the pseudo-random streams; the same seed and the same `now` values give the same quotes. */
  seed: number;
  /** Wall time at which every series starts, at its reference price. */
  start: Date;
  /** Replaces calibrated parameters for every series of this source. @default DEFAULT_MODEL_PARAMETERS */
  parameters?: Partial<ModelParameters>;
}

/** What the model does for one series, and where each number came from. */
export interface SpotSeriesInfo {
  cloud: string;
  region: string;
  zone: string;
  instanceType: string;
  /** Long-run mean price, USD per hour. */
  referenceUsdPerHour: number;
  /** Lowest price the process reaches, USD per hour. */
  floorUsdPerHour: number;
  /** Highest price: the on-demand price, USD per hour. */
  capUsdPerHour: number;
  parameters: Readonly<ModelParameters>;
  derivation: { reference: string; onDemand: string; parameters: string };
}

/** A seeded stochastic spot price source (see docs/spot-price-model.md). */
export interface SpotPriceModel extends OverridableSpotPriceSource {
  readonly series: readonly SpotSeriesInfo[];
}

const MS_PER_HOUR = 3_600_000;

/**
 * Creates a seeded spot price model for one region: per (instance type, zone), a step function
 * whose changes arrive as a Poisson process; at each change the log price reverts towards its
 * long-run level (Ornstein–Uhlenbeck decay) and moves by a correlated (momentum) step or by a
 * lognormal-size jump, bounded by a floor and the on-demand price. Time advances only with the `now`
 * passed to `quotes` (no timers); an earlier `now` than already seen does not rewind the process.
 * The path does not depend on how often `quotes` is called.
 */
export function createSpotPriceModel(options: SpotPriceModelOptions): SpotPriceModel {
  const { cloud, region, seed, start } = options;
  if (!isCloud(cloud)) throw SentraError.invalidArgument("cloud", `"${cloud}" is not one of aws, gcp, azure`);
  if (!Number.isFinite(seed)) throw SentraError.invalidArgument("seed", `must be a finite number, got ${seed}`);
  if (!(start instanceof Date) || Number.isNaN(start.getTime())) {
    throw SentraError.invalidArgument("start", "must be a valid Date");
  }
  const instanceTypes = options.instanceTypes ?? instanceTypesOf(cloud).map((type) => type.name);
  if (instanceTypes.length === 0) throw SentraError.invalidArgument("instanceTypes", "must not be empty");
  if (new Set(instanceTypes).size !== instanceTypes.length) {
    throw SentraError.invalidArgument("instanceTypes", "has duplicates");
  }
  const zones = options.zones ?? (cloud === "aws" ? ["a", "b", "c"].map((letter) => `${region}${letter}`) : [""]);
  if (zones.length === 0 || new Set(zones).size !== zones.length) {
    throw SentraError.invalidArgument("zones", "must be non-empty and without duplicates");
  }
  validateParameters(options.parameters ?? {});

  const startHours = start.getTime() / MS_PER_HOUR;
  const processes: SeriesProcess[] = [];
  for (const instanceType of instanceTypes) {
    const shape = findInstanceType(cloud, instanceType);
    if (shape === undefined) {
      throw SentraError.invalidArgument(
        "instanceTypes",
        `unknown ${cloud} instance type "${instanceType}" (no shape known)`,
      );
    }
    const parameters = Object.freeze({ ...modelParametersFor(cloud, instanceType), ...options.parameters });
    const pricing = resolveSeriesPricing(cloud, region, instanceType, parameters.spotToOnDemandRatio);
    const family = `${cloud}/${instanceFamily(cloud, instanceType)}`;
    const parameterSource = family in DEFAULT_MODEL_PARAMETERS ? family : `${cloud}/* (no data for ${family})`;
    for (const zone of zones) {
      const info: SpotSeriesInfo = Object.freeze({
        cloud,
        region,
        zone,
        instanceType,
        referenceUsdPerHour: pricing.referenceUsdPerHour,
        floorUsdPerHour: Math.min(
          pricing.referenceUsdPerHour * parameters.floorToReferenceRatio,
          pricing.referenceUsdPerHour,
        ),
        capUsdPerHour: pricing.onDemandUsdPerHour,
        parameters,
        derivation: {
          ...pricing.derivation,
          parameters: options.parameters === undefined ? parameterSource : `${parameterSource}, with overrides`,
        },
      });
      const random = createSeededRandom(deriveSeed(seed, `${cloud}/${region}/${zone}/${instanceType}`));
      processes.push(new SeriesProcess(info, shape.vcpus, shape.memoryGib, random, startHours));
    }
  }

  const known = new Map<string, Set<string>>();
  for (const { info } of processes) {
    const set = known.get(info.instanceType) ?? new Set<string>();
    set.add(info.zone);
    known.set(info.instanceType, set);
  }
  const overrides = new PriceOverrides(known);
  let processedHours = startHours;

  return {
    series: Object.freeze(processes.map((process) => process.info)),
    quotes(now: Date): SpotPriceQuote[] {
      const hours = now.getTime() / MS_PER_HOUR;
      if (Number.isNaN(hours)) throw SentraError.invalidArgument("now", "must be a valid Date");
      if (hours > processedHours) {
        for (const process of processes) process.advanceTo(hours);
        processedHours = hours;
      }
      return processes.map((process) =>
        process.quote(now, overrides.get(process.info.instanceType, process.info.zone)),
      );
    },
    setOverride(instanceType: string, usdPerHour: number | undefined, zone?: string): void {
      overrides.set(instanceType, usdPerHour, zone);
    },
  };
}

/**
 * One series, in log price y = ln(price / reference). At each change (Poisson, rate λ) y first
 * relaxes towards its level m over the time since the last change, y ← m + (y − m)·e^{−θ·Δt}, then
 * moves by a step: at an ordinary change (rate λ − λ_J) the momentum step ε ← ρ·ε + √(1−ρ²)·σ·Z,
 * so consecutive steps correlate like the data's; at a jump (rate λ_J) ±|J| with ln|J| ~
 * N(jumpSizeLogMean, jumpSizeLogSd²), up with probability jumpUpProbability. y is clamped to [floor, cap] (which stops the momentum) and the price is rounded to
 * 6 decimals, like the data. m puts the long-run mean price at the reference price.
 */
class SeriesProcess {
  readonly #random: SeededRandom;
  readonly #ordinaryRate: number;
  readonly #jumpRate: number;
  readonly #level: number;
  readonly #logFloor: number;
  readonly #logCap: number;
  #y = 0;
  #momentum = 0;
  #lastChangeHours: number;
  #nextOrdinary: number;
  #nextJump: number;
  #usdPerHour: number;

  constructor(
    readonly info: SpotSeriesInfo,
    private readonly vcpus: number,
    private readonly memoryGib: number,
    random: SeededRandom,
    startHours: number,
  ) {
    const p = info.parameters;
    this.#random = random;
    this.#jumpRate = Math.min(p.jumpRatePerHour, p.changeRatePerHour);
    this.#ordinaryRate = p.changeRatePerHour - this.#jumpRate;
    this.#level = longRunLevel(p);
    this.#logFloor = Math.log(info.floorUsdPerHour / info.referenceUsdPerHour);
    this.#logCap = Math.log(info.capUsdPerHour / info.referenceUsdPerHour);
    this.#lastChangeHours = startHours;
    this.#nextOrdinary = startHours + random.exponential(this.#ordinaryRate);
    this.#nextJump = startHours + random.exponential(this.#jumpRate);
    this.#usdPerHour = this.#publish();
  }

  advanceTo(hours: number): void {
    const p = this.info.parameters;
    for (;;) {
      const isJump = this.#nextJump < this.#nextOrdinary;
      const at = isJump ? this.#nextJump : this.#nextOrdinary;
      if (at > hours) return;
      const decay = Math.exp(-p.meanReversionPerHour * (at - this.#lastChangeHours));
      this.#lastChangeHours = at;
      let step: number;
      if (isJump) {
        const size = Math.exp(p.jumpSizeLogMean + p.jumpSizeLogSd * this.#random.normal());
        step = this.#random.uniform() < p.jumpUpProbability ? size : -size;
        this.#nextJump = at + this.#random.exponential(this.#jumpRate);
      } else {
        const rho = p.changeAutocorrelation;
        this.#momentum = rho * this.#momentum + Math.sqrt(1 - rho * rho) * p.changeLogSd * this.#random.normal();
        step = this.#momentum;
        this.#nextOrdinary = at + this.#random.exponential(this.#ordinaryRate);
      }
      const y = this.#level + (this.#y - this.#level) * decay + step;
      this.#y = Math.min(Math.max(y, this.#logFloor), this.#logCap);
      if (this.#y !== y) this.#momentum = 0;
      this.#usdPerHour = this.#publish();
    }
  }

  quote(now: Date, override: number | undefined): SpotPriceQuote {
    const { cloud, region, zone, instanceType } = this.info;
    return {
      cloud,
      region,
      zone,
      instanceType,
      usdPerHour: override ?? this.#usdPerHour,
      observedAt: now,
      source: "model",
      vcpus: this.vcpus,
      memoryGib: this.memoryGib,
    };
  }

  #publish(): number {
    const usd = this.info.referenceUsdPerHour * Math.exp(this.#y);
    return Math.round(Math.min(Math.max(usd, this.info.floorUsdPerHour), this.info.capUsdPerHour) * 1e6) / 1e6;
  }
}

/**
 * The level m of the log price such that the long-run mean price is the reference price, for a
 * stationary y treated as normal: m = −(mean shift of the jumps) − V/2. With A = E[e^{−θΔt}] =
 * λ/(λ+θ) and B = E[e^{−2θΔt}] = λ/(λ+2θ) over exponential gaps, an AR(1)-filtered AR(1) step of
 * correlation ρ gives V ≈ σ²(1−q)(1+ρA)/((1−ρA)(1−B)) + q·E[J²]/(1−B), q = λ_J/λ. 0 when θ = 0.
 */
export function longRunLevel(p: Readonly<ModelParameters>): number {
  const rate = p.changeRatePerHour;
  const theta = p.meanReversionPerHour;
  if (!(theta > 0) || !(rate > 0)) return 0;
  const jumpShare = Math.min(p.jumpRatePerHour / rate, 1);
  const a = rate / (rate + theta);
  const b = rate / (rate + 2 * theta);
  const rhoA = p.changeAutocorrelation * a;
  // Moments of a jump ±|J|, ln|J| ~ N(μ, s²): E[|J|] = e^{μ + s²/2}, E[J²] = e^{2μ + 2s²}.
  const jumpMean = (2 * p.jumpUpProbability - 1) * Math.exp(p.jumpSizeLogMean + p.jumpSizeLogSd ** 2 / 2);
  const jumpSquare = jumpShare > 0 ? Math.exp(2 * p.jumpSizeLogMean + 2 * p.jumpSizeLogSd ** 2) : 0;
  const variance =
    ((1 - jumpShare) * p.changeLogSd ** 2 * (1 + rhoA)) / ((1 - rhoA) * (1 - b)) + (jumpShare * jumpSquare) / (1 - b);
  const jumpDrift = (jumpShare * jumpMean) / (1 - a);
  return -jumpDrift - variance / 2;
}

function validateParameters(parameters: Partial<ModelParameters>): void {
  for (const [name, value] of Object.entries(parameters)) {
    if (!(MODEL_PARAMETER_NAMES as readonly string[]).includes(name)) {
      throw SentraError.invalidArgument(`parameters.${name}`, "is not a model parameter");
    }
    if (typeof value !== "number" || !Number.isFinite(value)) {
      throw SentraError.invalidArgument(`parameters.${name}`, `must be a finite number, got ${String(value)}`);
    }
    if (name !== "jumpLogMean" && value < 0) {
      throw SentraError.invalidArgument(`parameters.${name}`, "must not be negative");
    }
  }
  const { spotToOnDemandRatio, floorToReferenceRatio, changeAutocorrelation, jumpUpProbability } = parameters;
  if (jumpUpProbability !== undefined && jumpUpProbability > 1) {
    throw SentraError.invalidArgument("parameters.jumpUpProbability", "must be in [0, 1]");
  }
  if (changeAutocorrelation !== undefined && Math.abs(changeAutocorrelation) > 0.95) {
    throw SentraError.invalidArgument("parameters.changeAutocorrelation", "must be in [-0.95, 0.95]");
  }
  if (spotToOnDemandRatio !== undefined && !(spotToOnDemandRatio > 0)) {
    throw SentraError.invalidArgument("parameters.spotToOnDemandRatio", "must be positive");
  }
  if (floorToReferenceRatio !== undefined && !(floorToReferenceRatio > 0 && floorToReferenceRatio <= 1)) {
    throw SentraError.invalidArgument("parameters.floorToReferenceRatio", "must be in (0, 1]");
  }
}
