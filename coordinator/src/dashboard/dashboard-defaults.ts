import { resolve } from "node:path";
import { findRepoRoot } from "@sentra/common";

/**
 * @default 10 — live updates go out at most at 100 Hz: the floor of what a change waits for. With
 * many sockets the interval grows instead (see DEFAULT_DASHBOARD_MAX_LOOP_UTILIZATION).
 */
export const DEFAULT_DASHBOARD_DELTA_INTERVAL_MS = 10;
/**
 * @default 0.7 — while the coordinator's event loop is busy more than 70 % of the time, deltas are
 * batched more (the interval grows), so ingest keeps room. Measured on 2 cores with 1,000
 * satellites and 50 sockets: 0.7 settles near 20 ms (≈ 50 deltas/s, publish → applied p50 24–28 ms);
 * 0.5 near 25–40 ms with worse tails (p50 29–47 ms); a fixed 10 ms saturated the loop and latency
 * grew to hundreds of ms.
 */
export const DEFAULT_DASHBOARD_MAX_LOOP_UTILIZATION = 0.7;
/** @default 1000 — the interval never grows past one second, however costly an emit. */
export const MAX_DASHBOARD_DELTA_INTERVAL_MS = 1_000;

/**
 * The built page (`npm run build --workspace dashboard` writes it): `dashboard/dist` in the
 * repository this coordinator runs from, or `./dashboard/dist` when it runs outside one.
 */
export function defaultDashboardDir(fromUrl: string = import.meta.url): string {
  try {
    return resolve(findRepoRoot(fromUrl), "dashboard", "dist");
  } catch {
    return resolve("dashboard", "dist");
  }
}
