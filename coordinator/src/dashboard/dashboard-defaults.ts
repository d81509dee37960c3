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
 * satellites (docs/dashboard.md, Benchmark): 50 sockets stay at the 10 ms floor (≈ 97 deltas/s,
 * 31 % CPU), 1,000 settle near 40 ms. (Chosen over 0.5 while permessage-deflate was still on:
 * 0.5 batched 50 sockets to 25–40 ms with worse tails.)
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
