import { type DescMessage, fromBinary, type MessageShape } from "@bufbuild/protobuf";
import {
  type HealthSummary,
  HealthSummarySchema,
  type PriceSnapshot,
  PriceSnapshotSchema,
  type SpotPrice,
} from "@sentra/proto";

/** Highest spot price per instance-hour accepted as real; anything above is a bug or an attack. */
export const MAX_PLAUSIBLE_USD_PER_HOUR = 1_000;

export type DecodeResult<T> = { ok: true; message: T; rejectedPrices?: number } | { ok: false; reason: DropReason };
export type DropReason = "oversized" | "malformed" | "invalid" | "subject_mismatch";

function decode<S extends DescMessage>(schema: S, payload: Uint8Array): MessageShape<S> | undefined {
  try {
    return fromBinary(schema, payload);
  } catch {
    return undefined;
  }
}

/** Decodes and checks a heartbeat: it must be about the satellite whose subject it came on. */
export function decodeHealth(
  payload: Uint8Array,
  subjectSatelliteId: string,
  maxBytes: number,
): DecodeResult<HealthSummary> {
  if (payload.byteLength > maxBytes) return { ok: false, reason: "oversized" };
  const message = decode(HealthSummarySchema, payload);
  if (!message) return { ok: false, reason: "malformed" };
  if (!message.satelliteId || !message.region?.name || !message.region.cloud || message.heartbeatIntervalMs === 0) {
    return { ok: false, reason: "invalid" };
  }
  if (message.satelliteId !== subjectSatelliteId) return { ok: false, reason: "subject_mismatch" };
  return { ok: true, message };
}

/** Decodes a price snapshot; implausible prices (NaN, ≤ 0, absurdly high) are dropped one by one. */
export function decodePrices(
  payload: Uint8Array,
  subjectSatelliteId: string,
  maxBytes: number,
): DecodeResult<PriceSnapshot> {
  if (payload.byteLength > maxBytes) return { ok: false, reason: "oversized" };
  const message = decode(PriceSnapshotSchema, payload);
  if (!message) return { ok: false, reason: "malformed" };
  if (!message.satelliteId || !message.region?.name) return { ok: false, reason: "invalid" };
  if (message.satelliteId !== subjectSatelliteId) return { ok: false, reason: "subject_mismatch" };
  const plausible = message.prices.filter((price) =>
    isPlausible(price, message.region?.name ?? "", message.region?.cloud ?? ""),
  );
  const rejectedPrices = message.prices.length - plausible.length;
  message.prices = plausible;
  return { ok: true, message, rejectedPrices };
}

function isPlausible(price: SpotPrice, region: string, cloud: string): boolean {
  return (
    Number.isFinite(price.usdPerHour) &&
    price.usdPerHour > 0 &&
    price.usdPerHour <= MAX_PLAUSIBLE_USD_PER_HOUR &&
    price.instanceType.length > 0 &&
    price.region === region &&
    price.cloud === cloud
  );
}
