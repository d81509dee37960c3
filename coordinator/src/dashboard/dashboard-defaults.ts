import { resolve } from "node:path";
import { findRepoRoot } from "@sentra/common";

/**
 * @default 10 — live updates go out at most at 100 Hz: the floor of what a change waits for. With
 * many sockets the interval grows instead (see DEFAULT_DASHBOARD_EMIT_LOOP_SHARE).
 */
export const DEFAULT_DASHBOARD_DELTA_INTERVAL_MS = 10;
/**
 * @default 0.25 — broadcasting deltas may take at most a quarter of the coordinator's event loop:
 * one emit to 1,000 sockets blocks it ≈ 15 ms, so there the interval grows to ≈ 60 ms.
 */
export const DEFAULT_DASHBOARD_EMIT_LOOP_SHARE = 0.25;
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
