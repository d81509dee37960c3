import { resolve } from "node:path";
import { findRepoRoot } from "@sentra/common";

/** @default 50 — live updates go out at most at 20 Hz: one emit to 1,000 sockets blocks the loop ≈ 15 ms. */
export const DEFAULT_DASHBOARD_DELTA_INTERVAL_MS = 50;
/** @default ".sentra/dashboard-token" — where a generated token is kept, relative to the working directory. */
export const DEFAULT_DASHBOARD_TOKEN_FILE = ".sentra/dashboard-token";

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
