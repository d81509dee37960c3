import type { RegionTone } from "../live/region-summary";

/**
 * The dashboard's colours, one place for the globe (WebGL) and the page (CSS custom properties,
 * set from here at start). Vivid on a near-black ground; each tone passes WCAG AA for text on
 * the panel background (#0b1120) — checked with the contrast ratio in the comments.
 */
export const TONE_COLORS: Record<RegionTone, string> = {
  /** Missed three heartbeats: the alert. 5.9:1 */
  stale: "#ff4d6d",
  /** A cluster unreachable. 11.3:1 */
  degraded: "#fbbf24",
  /** Prices falling over the kept history. 9.8:1 */
  cheaper: "#34d399",
  /** Prices rising. 8.3:1 */
  pricier: "#fb923c",
  /** Live, prices flat. 8.8:1 */
  steady: "#38bdf8",
};

/**
 * The accent of arbitrage: opportunities (their arcs on the globe, their panel) and migrations.
 * Violet, so it never reads as a region's tone. 6.9:1
 */
export const OPPORTUNITY_COLOR = "#a78bfa";

export const GLOBE_COLORS = {
  landDim: "#1d3557",
  landBright: "#8fd3ff",
  ocean: "#050b18",
  oceanRim: "#1e4f8f",
  atmosphere: "#4fb3ff",
} as const;

/** Sets the tones as CSS custom properties (`--tone-stale`, …, `--opportunity`) on the document. */
export function applyPaletteToCss(root: HTMLElement = document.documentElement): void {
  for (const [tone, color] of Object.entries(TONE_COLORS)) root.style.setProperty(`--tone-${tone}`, color);
  root.style.setProperty("--opportunity", OPPORTUNITY_COLOR);
}
