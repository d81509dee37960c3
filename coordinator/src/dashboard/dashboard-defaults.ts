import { resolve } from "node:path";
import { findRepoRoot } from "@sentra/common";

/**
 * @default 10 — live updates go out at most at 100 Hz: the floor of what a change waits for. With
 * many sockets the interval grows instead (see DEFAULT_DASHBOARD_MAX_LOOP_UTILIZATION).
 */
export const DEFAULT_DASHBOARD_DELTA_INTERVAL_MS = 10;
/**
 * @default 0.5 — while the coordinator's event loop is busier than half the time, deltas are
 * batched more (the interval grows), so ingest keeps room: on 2 cores, 50 sockets settle near
 * 20 ms (at 10 ms broadcasting alone saturated the loop and latency grew to hundreds of ms).
 */
export const DEFAULT_DASHBOARD_MAX_LOOP_UTILIZATION = 0.5;
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
