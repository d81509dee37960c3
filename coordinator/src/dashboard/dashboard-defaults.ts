import { resolve } from "node:path";
import { findRepoRoot } from "@sentra/common";

/** @default 50 — live updates go out at most at 20 Hz: one emit to 1,000 sockets blocks the loop ≈ 15 ms. */
export const DEFAULT_DASHBOARD_DELTA_INTERVAL_MS = 50;

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
