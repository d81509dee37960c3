import { type DescMessage, fromBinary, type MessageShape } from "@bufbuild/protobuf";
import {
  type HealthSummary,
  type PriceSnapshot,
  PriceSnapshotSchema,
  type Region,
  readHealthSummary,
  type SpotPrice,
} from "@sentra/proto";

/**
 * Highest spot price per instance-hour accepted as real. The dearest instances on any cloud cost
 * ~100 USD/h on demand (e.g. 8-GPU machines), and spot prices stay below on demand; a price above
 * this is a unit bug or an attack.
 */
export const MAX_PLAUSIBLE_USD_PER_HOUR = 1_000;
/** Heartbeat intervals a satellite may promise (its own configuration's bounds), in ms. */
export const HEARTBEAT_INTERVAL_BOUNDS_MS = { min: 50, max: 3_600_000 } as const;

/**
 * @default 256 — clusters one heartbeat may report. A satellite watches a handful of kube
 * contexts; hundreds is already a fleet that should run several satellites.
 */
export const MAX_CLUSTERS_PER_HEARTBEAT = 256;
/** @default 253 — a cluster (kube context) name: a DNS subdomain's length. */
export const MAX_CLUSTER_NAME_LENGTH = 253;
/** @default 1024 — a cluster's error text (shown on the dashboard, never parsed). */
export const MAX_CLUSTER_ERROR_LENGTH = 1_024;
/** @default 4096 — prices in one snapshot (a region's zones × instance types, with room to spare). */
export const MAX_PRICES_PER_SNAPSHOT = 4_096;
/** @default 128 — longest inventory revision (an opaque token; the satellite sends 16 hex digits). */
export const MAX_INVENTORY_REVISION_LENGTH = 128;

/** Why a whole message was dropped (the `reason` label of the dropped-messages counter). */
export type DropReason =
  | "oversized"
  | "malformed"
  | "invalid"
  | "subject_mismatch"
  /** More than {@link MAX_CLUSTERS_PER_HEARTBEAT} clusters. */
  | "too_many_clusters"
  /** A cluster name, error text or inventory revision over its limit. */
  | "field_too_long"
  /** More than {@link MAX_PRICES_PER_SNAPSHOT} prices. */
  | "too_many_prices";
/** Why one price of an accepted snapshot was not used (the `reason` label of the rejected-prices counter). */
export type PriceRejectReason =
  | "not_finite"
  | "not_positive"
  | "above_max"
  | "jump"
  | "other_region"
  | "bad_instance_type";

export interface RejectedPrice {
  readonly price: SpotPrice;
  readonly reason: PriceRejectReason;
}

export type DecodeFailure = {
  ok: false;
  reason: DropReason;
  /** For `subject_mismatch`: the id the body claims (clipped), to log beside the subject's. */
  bodySatelliteId?: string;
};
export type HealthDecoding = { ok: true; message: HealthSummary } | DecodeFailure;
export type PriceDecoding = { ok: true; message: PriceSnapshot; rejectedPrices: RejectedPrice[] } | DecodeFailure;

/** One token of a Redis key and a MySQL column: cloud and region names. */
const NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
/** Instance types across clouds: `m5.large`, `n2-standard-4`, `Standard_D2s_v3`. */
const INSTANCE_TYPE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** `host:port` a coordinator may dial; `[v6]:port` too. Empty means "no gRPC endpoint". */
const GRPC_ENDPOINT = /^(?:[A-Za-z0-9._-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\]):\d{1,5}$/;
/** The `satellites.version` column's width. */
const MAX_VERSION_LENGTH = 64;
/** Longest body id echoed into a log line. */
const MAX_LOGGED_ID_LENGTH = 128;

function decode<S extends DescMessage>(schema: S, payload: Uint8Array): MessageShape<S> | undefined {
  try {
    return fromBinary(schema, payload);
  } catch {
    return undefined;
  }
}

function mismatch(bodySatelliteId: string): DecodeFailure {
  return { ok: false, reason: "subject_mismatch", bodySatelliteId: bodySatelliteId.slice(0, MAX_LOGGED_ID_LENGTH) };
}

/** The `satellites.cloud` column's width. */
const MAX_CLOUD_LENGTH = 16;

function validRegion(region: Region | undefined): region is Region {
  return (
    region !== undefined &&
    NAME.test(region.cloud) &&
    region.cloud.length <= MAX_CLOUD_LENGTH &&
    NAME.test(region.name) &&
    Number.isFinite(region.latitude) &&
    Math.abs(region.latitude) <= 90 &&
    Number.isFinite(region.longitude) &&
    Math.abs(region.longitude) <= 180
  );
}

/**
 * Decodes and checks a heartbeat. The size is checked before decoding; a body naming another
 * satellite than its subject is `subject_mismatch`; fields the coordinator stores or relies on
 * (region names, coordinates, the promised interval that liveness is judged by, the endpoint it
 * dials, the version column) must be sane, or the whole heartbeat is `invalid` — never half-applied;
 * more clusters than {@link MAX_CLUSTERS_PER_HEARTBEAT} or over-long cluster strings drop it too,
 * each with its own reason.
 */
export function decodeHealth(payload: Uint8Array, subjectSatelliteId: string, maxBytes: number): HealthDecoding {
  if (payload.byteLength > maxBytes) return { ok: false, reason: "oversized" };
  let message: HealthSummary;
  try {
    message = readHealthSummary(payload);
  } catch {
    return { ok: false, reason: "malformed" };
  }
  if (!message.satelliteId) return { ok: false, reason: "invalid" };
  if (message.satelliteId !== subjectSatelliteId) return mismatch(message.satelliteId);
  const interval = message.heartbeatIntervalMs;
  if (
    !validRegion(message.region) ||
    interval < HEARTBEAT_INTERVAL_BOUNDS_MS.min ||
    interval > HEARTBEAT_INTERVAL_BOUNDS_MS.max ||
    (message.grpcEndpoint !== "" && !GRPC_ENDPOINT.test(message.grpcEndpoint)) ||
    message.version.length > MAX_VERSION_LENGTH
  ) {
    return { ok: false, reason: "invalid" };
  }
  if (message.clusters.length > MAX_CLUSTERS_PER_HEARTBEAT) return { ok: false, reason: "too_many_clusters" };
  if (message.inventoryRevision.length > MAX_INVENTORY_REVISION_LENGTH) return { ok: false, reason: "field_too_long" };
  for (const cluster of message.clusters) {
    if (cluster.cluster.length > MAX_CLUSTER_NAME_LENGTH || cluster.error.length > MAX_CLUSTER_ERROR_LENGTH) {
      return { ok: false, reason: "field_too_long" };
    }
  }
  return { ok: true, message };
}

/**
 * Decodes a price snapshot. Whole-message checks as for heartbeats; then each price is judged on
 * its own (not finite, ≤ 0, above {@link MAX_PLAUSIBLE_USD_PER_HOUR}, about another region, a
 * malformed instance type): the rejected ones are returned beside the snapshot, which keeps only
 * the good ones. Jumps against earlier prices are judged later (`checkPriceJumps`), with state.
 */
export function decodePrices(payload: Uint8Array, subjectSatelliteId: string, maxBytes: number): PriceDecoding {
  if (payload.byteLength > maxBytes) return { ok: false, reason: "oversized" };
  const message = decode(PriceSnapshotSchema, payload);
  if (!message) return { ok: false, reason: "malformed" };
  if (!message.satelliteId) return { ok: false, reason: "invalid" };
  if (message.satelliteId !== subjectSatelliteId) return mismatch(message.satelliteId);
  const region = message.region;
  if (!validRegion(region)) return { ok: false, reason: "invalid" };
  if (message.prices.length > MAX_PRICES_PER_SNAPSHOT) return { ok: false, reason: "too_many_prices" };
  const rejectedPrices: RejectedPrice[] = [];
  message.prices = message.prices.filter((price) => {
    const reason = priceProblem(price, region);
    if (reason) rejectedPrices.push({ price, reason });
    return reason === undefined;
  });
  return { ok: true, message, rejectedPrices };
}

function priceProblem(price: SpotPrice, region: Region): PriceRejectReason | undefined {
  if (!Number.isFinite(price.usdPerHour)) return "not_finite";
  if (price.usdPerHour <= 0) return "not_positive";
  if (price.usdPerHour > MAX_PLAUSIBLE_USD_PER_HOUR) return "above_max";
  if (price.region !== region.name || price.cloud !== region.cloud || price.zone.length > 64) return "other_region";
  if (!INSTANCE_TYPE.test(price.instanceType)) return "bad_instance_type";
  return undefined;
}
