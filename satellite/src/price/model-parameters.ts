import { SentraError } from "@sentra/common";
import { instanceFamily } from "./instance-types.js";

/**
 * Parameters of the spot price model of one series (see docs/spot-price-model.md). Log sizes are
 * natural logarithms of price ratios, so they have no unit.
 */
export interface ModelParameters {
  /** Rate of price changes (Poisson arrivals, jumps included), per hour. */
  changeRatePerHour: number;
  /** Standard deviation of the log-price change at an ordinary (non-jump) change. */
  changeLogSd: number;
  /**
   * Correlation of consecutive ordinary log-price changes (momentum: AWS moves in runs of same-sign
   * ticks, > 0; Azure toggles between levels, < 0). In [−0.95, 0.95].
   */
  changeAutocorrelation: number;
  /** Speed at which the log price reverts to its long-run level (Ornstein–Uhlenbeck θ), per hour. */
  meanReversionPerHour: number;
  /** Rate of jumps (in the data: changes beyond 4 σ), per hour; part of `changeRatePerHour`. */
  jumpRatePerHour: number;
  /** Probability that a jump raises the price (else it lowers it). */
  jumpUpProbability: number;
  /**
   * Mean of ln|J|, J being a jump's log-price change: |J| is lognormal, so a jump multiplies the price
   * by exp(±|J|). Unused when `jumpRatePerHour` is 0.
   */
  jumpSizeLogMean: number;
  /** Standard deviation of ln|J|. */
  jumpSizeLogSd: number;
  /** Long-run mean spot price / on-demand price; derives the cap when the on-demand price is unknown. */
  spotToOnDemandRatio: number;
  /** Lowest price / long-run mean price: the floor of the process. */
  floorToReferenceRatio: number;
}

/** The names of the model parameters, in declaration order. */
export const MODEL_PARAMETER_NAMES: readonly (keyof ModelParameters)[] = Object.freeze([
  "changeRatePerHour",
  "changeLogSd",
  "changeAutocorrelation",
  "meanReversionPerHour",
  "jumpRatePerHour",
  "jumpUpProbability",
  "jumpSizeLogMean",
  "jumpSizeLogSd",
  "spotToOnDemandRatio",
  "floorToReferenceRatio",
]);

/**
 * Calibrated parameters per `cloud/family`, plus a pooled `cloud/*` entry used for families without
 * data (e.g. Azure D). Produced by `calibrate-main.ts` from shared/data/spot/*.csv and
 * shared/data/ondemand-prices.csv; `calibrate.test.ts` recomputes them and fails if they drift.
 * Data per entry: aws/c5, m5, m5a, r5, t3 — aws-us-east-1-cpu-2021-03_2021-05.csv (us-east-1, 5
 * zones, 90 days); aws/p2, p3 — aws-gpu-6-regions-2019-12_2020-03.csv (6 regions); gcp/* —
 * gcp-spot-weekly-8-regions-2023-05_2026-07.csv (weekly observations, 8 regions, 3 years);
 * azure/* — azure-gpu-3-us-regions-2020-02_2020-03.csv (daily, 3 regions, GPU sizes only).
 * Ratios to on-demand use the on-demand rows of the same region and type.
 */
export const DEFAULT_MODEL_PARAMETERS: Readonly<Record<string, Readonly<ModelParameters>>> = Object.freeze({
  // BEGIN GENERATED: node satellite/dist/price/calibrate-main.js --typescript
  // aws/*: 145 series, 17497 changes in 314312 h; aws-gpu-6-regions-2019-12_2020-03.csv, aws-us-east-1-cpu-2021-03_2021-05.csv
  "aws/*": {
    changeRatePerHour: 0.05567,
    changeLogSd: 0.003875,
    changeAutocorrelation: 0.5742,
    meanReversionPerHour: 0.0005074,
    jumpRatePerHour: 0.001231,
    jumpUpProbability: 0.478,
    jumpSizeLogMean: -3.627,
    jumpSizeLogSd: 0.3224,
    spotToOnDemandRatio: 0.3993,
    floorToReferenceRatio: 0.3429,
  },
  // aws/c5: 15 series, 2986 changes in 32189 h; aws-us-east-1-cpu-2021-03_2021-05.csv
  "aws/c5": {
    changeRatePerHour: 0.09277,
    changeLogSd: 0.003146,
    changeAutocorrelation: 0.7799,
    meanReversionPerHour: 0.0004623,
    jumpRatePerHour: 0.001118,
    jumpUpProbability: 0.3611,
    jumpSizeLogMean: -4.031,
    jumpSizeLogSd: 0.2699,
    spotToOnDemandRatio: 0.4183,
    floorToReferenceRatio: 0.7718,
  },
  // aws/m5: 10 series, 1699 changes in 21445 h; aws-us-east-1-cpu-2021-03_2021-05.csv
  "aws/m5": {
    changeRatePerHour: 0.07922,
    changeLogSd: 0.003599,
    changeAutocorrelation: 0.6664,
    meanReversionPerHour: 0.0004804,
    jumpRatePerHour: 0.001026,
    jumpUpProbability: 0.4545,
    jumpSizeLogMean: -4.019,
    jumpSizeLogSd: 0.1945,
    spotToOnDemandRatio: 0.4111,
    floorToReferenceRatio: 0.8512,
  },
  // aws/m5a: 5 series, 783 changes in 10700 h; aws-us-east-1-cpu-2021-03_2021-05.csv
  // (spotToOnDemandRatio: no on-demand price for this family's types, took aws/*)
  "aws/m5a": {
    changeRatePerHour: 0.07318,
    changeLogSd: 0.002887,
    changeAutocorrelation: 0.604,
    meanReversionPerHour: 0.000871,
    jumpRatePerHour: 0,
    jumpUpProbability: 0.5,
    jumpSizeLogMean: 0,
    jumpSizeLogSd: 0,
    spotToOnDemandRatio: 0.3993,
    floorToReferenceRatio: 0.9186,
  },
  // aws/p2: 48 series, 4147 changes in 103803 h; aws-gpu-6-regions-2019-12_2020-03.csv
  "aws/p2": {
    changeRatePerHour: 0.03995,
    changeLogSd: 0.004197,
    changeAutocorrelation: 0.4561,
    meanReversionPerHour: 0.002159,
    jumpRatePerHour: 0.002495,
    jumpUpProbability: 0.471,
    jumpSizeLogMean: -3.519,
    jumpSizeLogSd: 0.2725,
    spotToOnDemandRatio: 0.4232,
    floorToReferenceRatio: 0.3429,
  },
  // aws/p3: 47 series, 4840 changes in 103334 h; aws-gpu-6-regions-2019-12_2020-03.csv
  "aws/p3": {
    changeRatePerHour: 0.04684,
    changeLogSd: 0.003915,
    changeAutocorrelation: 0.4951,
    meanReversionPerHour: 0.0006359,
    jumpRatePerHour: 0.0002806,
    jumpUpProbability: 0.6552,
    jumpSizeLogMean: -3.902,
    jumpSizeLogSd: 0.2802,
    spotToOnDemandRatio: 0.3139,
    floorToReferenceRatio: 0.8908,
  },
  // aws/r5: 10 series, 2062 changes in 21466 h; aws-us-east-1-cpu-2021-03_2021-05.csv
  // (meanReversionPerHour: no reversion in most series (median AR(1) φ ≥ 1), took aws/*)
  // (spotToOnDemandRatio: no on-demand price for this family's types, took aws/*)
  "aws/r5": {
    changeRatePerHour: 0.09606,
    changeLogSd: 0.003491,
    changeAutocorrelation: 0.6045,
    meanReversionPerHour: 0.0005074,
    jumpRatePerHour: 0.0006988,
    jumpUpProbability: 1,
    jumpSizeLogMean: -4.086,
    jumpSizeLogSd: 0.1225,
    spotToOnDemandRatio: 0.3993,
    floorToReferenceRatio: 0.7897,
  },
  // aws/t3: 10 series, 980 changes in 21375 h; aws-us-east-1-cpu-2021-03_2021-05.csv
  // (spotToOnDemandRatio: no on-demand price for this family's types, took aws/*)
  "aws/t3": {
    changeRatePerHour: 0.04585,
    changeLogSd: 0.006082,
    changeAutocorrelation: 0.6298,
    meanReversionPerHour: 0.000475,
    jumpRatePerHour: 0.00117,
    jumpUpProbability: 0.28,
    jumpSizeLogMean: -3.395,
    jumpSizeLogSd: 0.1588,
    spotToOnDemandRatio: 0.3993,
    floorToReferenceRatio: 0.8661,
  },
  // azure/*: 28 series, 113 changes in 18816 h; azure-gpu-3-us-regions-2020-02_2020-03.csv
  // (jumps: only 2 beyond 4 σ, too few to estimate; no jumps)
  "azure/*": {
    changeRatePerHour: 0.006006,
    changeLogSd: 0.3502,
    changeAutocorrelation: -0.7731,
    meanReversionPerHour: 0.03079,
    jumpRatePerHour: 0,
    jumpUpProbability: 0.5,
    jumpSizeLogMean: 0,
    jumpSizeLogSd: 0,
    spotToOnDemandRatio: 0.1595,
    floorToReferenceRatio: 0.7267,
  },
  // azure/NC: 28 series, 113 changes in 18816 h; azure-gpu-3-us-regions-2020-02_2020-03.csv
  // (jumps: only 2 beyond 4 σ, too few to estimate; no jumps)
  "azure/NC": {
    changeRatePerHour: 0.006006,
    changeLogSd: 0.3502,
    changeAutocorrelation: -0.7731,
    meanReversionPerHour: 0.03079,
    jumpRatePerHour: 0,
    jumpUpProbability: 0.5,
    jumpSizeLogMean: 0,
    jumpSizeLogSd: 0,
    spotToOnDemandRatio: 0.1595,
    floorToReferenceRatio: 0.7267,
  },
  // gcp/*: 32 series, 630 changes in 905456 h; gcp-spot-weekly-8-regions-2023-05_2026-07.csv
  "gcp/*": {
    changeRatePerHour: 0.0006958,
    changeLogSd: 0.09066,
    changeAutocorrelation: 0.02137,
    meanReversionPerHour: 0.00002666,
    jumpRatePerHour: 0,
    jumpUpProbability: 0.5,
    jumpSizeLogMean: 0,
    jumpSizeLogSd: 0,
    spotToOnDemandRatio: 0.2874,
    floorToReferenceRatio: 0.5228,
  },
  // gcp/e2: 8 series, 111 changes in 226364 h; gcp-spot-weekly-8-regions-2023-05_2026-07.csv
  // (meanReversionPerHour: no reversion in most series (median AR(1) φ ≥ 1), took gcp/*)
  "gcp/e2": {
    changeRatePerHour: 0.0004904,
    changeLogSd: 0.08108,
    changeAutocorrelation: 0.02251,
    meanReversionPerHour: 0.00002666,
    jumpRatePerHour: 0,
    jumpUpProbability: 0.5,
    jumpSizeLogMean: 0,
    jumpSizeLogSd: 0,
    spotToOnDemandRatio: 0.3574,
    floorToReferenceRatio: 0.7358,
  },
  // gcp/n2: 24 series, 519 changes in 679092 h; gcp-spot-weekly-8-regions-2023-05_2026-07.csv
  "gcp/n2": {
    changeRatePerHour: 0.0007643,
    changeLogSd: 0.09259,
    changeAutocorrelation: 0.02118,
    meanReversionPerHour: 0.00004622,
    jumpRatePerHour: 0,
    jumpUpProbability: 0.5,
    jumpSizeLogMean: 0,
    jumpSizeLogSd: 0,
    spotToOnDemandRatio: 0.2641,
    floorToReferenceRatio: 0.5228,
  },
  // END GENERATED
});

/** The calibrated parameters for one instance type: its family's, else its cloud's pooled ones. */
export function modelParametersFor(cloud: string, instanceType: string): Readonly<ModelParameters> {
  const parameters =
    DEFAULT_MODEL_PARAMETERS[`${cloud}/${instanceFamily(cloud, instanceType)}`] ??
    DEFAULT_MODEL_PARAMETERS[`${cloud}/*`];
  if (parameters === undefined) {
    throw SentraError.invalidArgument("cloud", `no calibrated spot price parameters for cloud "${cloud}"`);
  }
  return parameters;
}
