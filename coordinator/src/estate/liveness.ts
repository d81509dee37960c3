import { Liveness } from "@sentra/proto";
import { MISSED_HEARTBEATS_BEFORE_STALE } from "../config/coordinator-config.js";

/** A satellite is stale once it has missed three of the heartbeats it promised. */
export function livenessOf(lastSeenMs: number, heartbeatIntervalMs: number, nowMs: number): Liveness {
  return nowMs - lastSeenMs > MISSED_HEARTBEATS_BEFORE_STALE * heartbeatIntervalMs ? Liveness.STALE : Liveness.LIVE;
}
