import { create, toBinary } from "@bufbuild/protobuf";
import { PriceSnapshotSchema, PriceSource, satelliteSubject, timestampFromMs } from "@sentra/proto";
import { createTestNamespace, freePort, type TestNamespace } from "@sentra/testkit";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { coordinatorClientWithToken, createApiToken } from "./support/coordinator-auth.js";
import { assertDashboardBuilt, launchChromium, readGlobePixels, saveScreenshot } from "./support/dashboard-browser.js";
import {
  type CoordinatorProcess,
  type SatelliteProcess,
  startCoordinatorProcess,
  startSatelliteProcess,
} from "./support/estate-processes.js";

/** This satellite publishes its prices once, at start: the test alone changes them afterwards. */
const QUIET = { cloud: "aws", region: "ap-southeast-1", id: "aws-ap-southeast-1" } as const;

describe("dashboard in Chromium against a live estate", () => {
  let namespace: TestNamespace;
  let httpPort: number;
  let coordinator: CoordinatorProcess;
  let satellites: SatelliteProcess[];
  let browser: Browser;
  let page: Page;
  /** A viewer's API token: the dashboard takes any token and shows its role. */
  let viewerToken: string;

  const coordinatorEnv = (): Record<string, string> => ({
    SENTRA_HTTP_PORT: String(httpPort),
    // The quiet satellite's prices must stay fresh between its single publish and the test's.
    SENTRA_PRICE_TTL_MS: "120000",
  });

  beforeAll(async () => {
    assertDashboardBuilt();
    namespace = await createTestNamespace("dashboard");
    httpPort = await freePort();
    coordinator = await startCoordinatorProcess(namespace, coordinatorEnv());
    const admin = coordinatorClientWithToken(namespace, coordinator.grpcAddress, coordinator.adminToken);
    viewerToken = (await createApiToken(admin, "dashboard-viewer", "viewer")).token;
    satellites = await Promise.all([
      startSatelliteProcess(namespace, "aws", "us-east-1"),
      startSatelliteProcess(namespace, "gcp", "europe-west1"),
      startSatelliteProcess(namespace, QUIET.cloud, QUIET.region, { SENTRA_PRICE_INTERVAL_MS: "600000" }),
    ]);
    browser = await launchChromium();
    namespace.defer(() => browser.close());
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  }, 60_000);

  afterAll(async () => {
    await namespace?.dispose();
  }, 30_000);

  it("asks for a token and shows the coordinator's refusal of a wrong one on the form", async () => {
    await page.goto(coordinator.httpUrl);
    await page.getByTestId("signin-form").waitFor();
    await page.getByTestId("token-input").fill("sentra_not-a-token-anyone-created-0123456789abc");
    await page.getByTestId("signin-submit").click();
    await expect
      .poll(() => page.getByTestId("signin-error").textContent(), { timeout: 10_000 })
      .toMatch(/not accepted/i);
    await saveScreenshot(page, "dashboard-signin-refused");
    // The sign-in screen, as a first-time visitor sees it.
    await page.getByTestId("token-input").fill("");
    await saveScreenshot(page, "dashboard-signin");
  });

  it("signs in with a viewer token, shows the role, renders the globe and a live marker per satellite", async () => {
    await page.getByTestId("token-input").fill(viewerToken);
    await page.getByTestId("signin-submit").click();
    await page.locator('[data-testid="connection-status"][data-status="live"]').waitFor({ timeout: 15_000 });
    expect(await page.getByTestId("session-role").textContent()).toBe("viewer");
    // A marker per live satellite, placed from its region's coordinates.
    for (const satellite of satellites) {
      const marker = page.locator(`[data-testid^="region-marker-"][data-satellites~="${satellite.satelliteId}"]`);
      await expect.poll(() => marker.getAttribute("data-liveness"), { timeout: 10_000 }).toBe("live");
    }
    // The land dots have faded in: the WebGL canvas holds thousands of lit pixels over the dark ocean.
    await expect.poll(() => page.getByTestId("globe").getAttribute("data-land-points")).not.toBe("0");
    await expect.poll(async () => (await readGlobePixels(page)).lit, { timeout: 10_000 }).toBeGreaterThan(2_000);
    const pixels = await readGlobePixels(page);
    expect(pixels.drawn / pixels.total).toBeGreaterThan(0.15);
    await expect.poll(() => page.getByTestId("stat-satellites").textContent()).toBe("3/3 live");
    await page.waitForTimeout(1_500); // the globe settles after the sign-in flight
    await saveScreenshot(page, "dashboard-overview");
  });

  it("shows a price a satellite publishes without a reload", async () => {
    await page.evaluate("window.__sameDocument = true");
    await page.locator(`.ranking button:has-text("${QUIET.region}")`).click();
    const panel = page.getByTestId("region-panel");
    await panel.waitFor();
    // A real publish through the real pipeline: NATS → ingest → Redis → gateway → socket → page.
    const nats = await namespace.nats();
    const usdPerHour = 0.0042;
    const snapshot = create(PriceSnapshotSchema, {
      satelliteId: QUIET.id,
      region: { cloud: QUIET.cloud, name: QUIET.region },
      publishedAt: timestampFromMs(Date.now()),
      prices: ["a", "b", "c"].map((zone) => ({
        cloud: QUIET.cloud,
        region: QUIET.region,
        zone: `${QUIET.region}${zone}`,
        instanceType: "t3.medium",
        usdPerHour,
        vcpus: 2,
        memoryGib: 4,
        observedAt: timestampFromMs(Date.now()),
        source: PriceSource.MODEL,
      })),
    });
    nats.publish(satelliteSubject(QUIET.id, "price", namespace.subjectPrefix), toBinary(PriceSnapshotSchema, snapshot));
    await nats.flush();

    const regionKey = `${QUIET.cloud}:${QUIET.region}`;
    await expect
      .poll(() => page.getByTestId(`price-value-${regionKey}:t3.medium`).textContent(), { timeout: 5_000 })
      .toBe("$0.00420");
    // The region's headline (cheapest per vCPU-hour) follows, on the panel and on the globe's label.
    await expect.poll(() => page.getByTestId("panel-headline-price").textContent()).toBe("$0.00210");
    await expect.poll(() => page.getByTestId(`region-price-${regionKey}`).textContent()).toMatch(/^\$0\.00210/);
    expect(await page.evaluate("window.__sameDocument === true")).toBe(true);
    await page.waitForTimeout(1_200); // let the camera flight settle for the picture
    await saveScreenshot(page, "dashboard-region");
  });

  it("resumes after a coordinator restart without a reload", async () => {
    const status = page.getByTestId("connection-status");
    const snapshotsBefore = Number(await status.getAttribute("data-snapshots"));
    await coordinator.process.stop();
    await expect.poll(() => status.getAttribute("data-status"), { timeout: 10_000 }).toBe("reconnecting");
    await saveScreenshot(page, "dashboard-reconnecting");

    coordinator = await startCoordinatorProcess(namespace, coordinatorEnv());
    await expect.poll(() => status.getAttribute("data-status"), { timeout: 15_000 }).toBe("live");
    expect(Number(await status.getAttribute("data-snapshots"))).toBeGreaterThan(snapshotsBefore);
    for (const satellite of satellites) {
      const marker = page.locator(`[data-testid^="region-marker-"][data-satellites~="${satellite.satelliteId}"]`);
      await expect.poll(() => marker.getAttribute("data-liveness"), { timeout: 10_000 }).toBe("live");
    }
    expect(await page.evaluate("window.__sameDocument === true")).toBe(true);
  });

  it("returns to the sign-in form, saying why, when its token is revoked", async () => {
    const admin = coordinatorClientWithToken(namespace, coordinator.grpcAddress, coordinator.adminToken);
    await admin.revokeApiToken({ selector: { case: "name", value: "dashboard-viewer" } });
    // Revoked through the coordinator the page is connected to: signed out at once, not at the next re-check.
    await expect.poll(() => page.getByTestId("signin-error").textContent(), { timeout: 10_000 }).toMatch(/revoked/i);
    await saveScreenshot(page, "dashboard-signed-out-revoked");
    // The same token no longer signs in.
    await page.getByTestId("token-input").fill(viewerToken);
    await page.getByTestId("signin-submit").click();
    await expect
      .poll(() => page.getByTestId("signin-error").textContent(), { timeout: 10_000 })
      .toMatch(/not accepted/i);
  });
});
