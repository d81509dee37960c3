import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "@sentra/testkit";
import { type Browser, chromium, type Page } from "playwright-core";

/** Debian's Chromium (`apt-get install chromium`); `SENTRA_CHROMIUM` points elsewhere. */
export const CHROMIUM_PATH = process.env.SENTRA_CHROMIUM ?? "/usr/bin/chromium";

/** Where the browser tests leave screenshots of the main views. */
export const SCREENSHOT_DIR = join(REPO_ROOT, "test-results", "screenshots");

/**
 * Headless Chromium with WebGL2 through SwiftShader. Never add `--disable-software-rasterizer`:
 * it turns WebGL off.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium not found at ${CHROMIUM_PATH}: apt-get install -y chromium, or set SENTRA_CHROMIUM`);
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-quic",
    ],
  });
}

/** Fails with the command to run when the page was not built (`npm test` builds it first). */
export function assertDashboardBuilt(): void {
  const index = join(REPO_ROOT, "dashboard", "dist", "index.html");
  if (!existsSync(index)) {
    throw new Error(`${index} is missing: run \`npm run build\` (or \`npm run build --workspace dashboard\`)`);
  }
}

export async function saveScreenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path });
  return path;
}

/** Counts of the globe canvas's pixels, read back in the page (the canvas keeps its drawing buffer). */
export interface CanvasPixels {
  total: number;
  /** Pixels drawn at all (alpha > 0): ocean, land, glow, markers. */
  drawn: number;
  /** Pixels clearly lit (land dots, glow, markers): luminance well above the dark ocean. */
  lit: number;
}

/**
 * Reads the WebGL canvas back through a 2D canvas. A string, not a function: under tsx, a function
 * passed to `page.evaluate` can reference helpers (`__name`) that do not exist in the page.
 */
export async function readGlobePixels(page: Page): Promise<CanvasPixels> {
  return page.evaluate(`(() => {
    const source = document.querySelector('[data-testid="globe"] canvas');
    if (!source) return { total: 0, drawn: 0, lit: 0 };
    const width = Math.max(1, Math.floor(source.width / 2));
    const height = Math.max(1, Math.floor(source.height / 2));
    const copy = document.createElement("canvas");
    copy.width = width;
    copy.height = height;
    const context = copy.getContext("2d");
    context.drawImage(source, 0, 0, width, height);
    const data = context.getImageData(0, 0, width, height).data;
    let drawn = 0;
    let lit = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (data[i + 3] === 0) continue;
      drawn += 1;
      if (0.2126 * data[i] + 0.7152 * data[i + 1] + 0.0722 * data[i + 2] > 50) lit += 1;
    }
    return { total: width * height, drawn, lit };
  })()`);
}
