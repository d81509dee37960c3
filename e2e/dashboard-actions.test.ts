import { KubeConfig, type KubernetesObject, KubernetesObjectApi } from "@kubernetes/client-node";
import { DASHBOARD_SOCKET_NAMESPACE, type DashboardActionResult, type RolloutActionResult } from "@sentra/common";
import { RolloutWaveStatus } from "@sentra/proto";
import { versionedServiceManifests } from "@sentra/satellite";
import { createTestNamespace, eventually, freePort, startPrometheus, type TestNamespace } from "@sentra/testkit";
import type { Browser, Page } from "playwright-core";
import { io } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiToken } from "./support/coordinator-auth.js";
import { assertDashboardBuilt, launchChromium, saveScreenshot } from "./support/dashboard-browser.js";
import { type CoordinatorProcess, readMetric, startCoordinatorProcess } from "./support/estate-processes.js";
import {
  type CoordinatorClient,
  coordinatorClient,
  replicaTimeline,
  type SimulatedSatellite,
  startPricedSatellite,
  waitForEstate,
} from "./support/migration-estate.js";

/**
 * The operators' side of the dashboard in real Chromium against a real coordinator and simulated
 * satellites (real NATS, Redis, MariaDB, Prometheus). Prices are pinned (SENTRA_PRICE_OVERRIDES),
 * so margins are known (see e2e/migration.test.ts for the arithmetic):
 *
 *   aws:us-east-1  m5.large 0.10, c5.large 0.10 USD/h   expensive; also runs the checkout rollout
 *   aws:us-east-2  m5.large 0.02, c5.large 0.03 USD/h   cheap
 *
 * checkout-api in us-east-1 (3 × 0.25 m5.large) → us-east-2 has a margin of +1.3325 USD over
 * 24 h; search-indexer in us-east-2 → us-east-1 costs more and moves 40 GB: its margin is negative.
 */
const EXPENSIVE = { m5: 0.1, c5: 0.1 };
const CHEAP = { m5: 0.02, c5: 0.03 };

/** A canary that waits for a person at every step (passesToPromote is out of reach). */
const POLICY = `
steps: [10, 15, 25, 50]
warmupSeconds: 1
intervalSeconds: 2
windowSeconds: 6
passesToPromote: 1000
consecutiveBreachesToRollback: 1000
gates:
  - name: error_rate
    minSampleSize: 20
  - name: p95_latency_ms
    minSampleSize: 20
`;

/** Deploys checkout v1 (live) and v2 (the release) in namespace shop of a simulated cluster. */
async function deployCheckout(satellite: SimulatedSatellite): Promise<void> {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: "sim", server: satellite.clusterUrl, skipTLSVerify: true }],
    users: [{ name: "test", token: "test" }],
    contexts: [{ name: "sim", cluster: "sim", user: "test" }],
    currentContext: "sim",
  });
  const objects = KubernetesObjectApi.makeApiClient(kubeConfig);
  await objects.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: "shop" } });
  for (const manifest of versionedServiceManifests({
    namespace: "shop",
    service: "checkout",
    versions: [
      { version: "v1", replicas: 3 },
      { version: "v2", replicas: 3, errorRate: 0.002 },
    ],
  })) {
    await objects.create(manifest as KubernetesObject);
  }
}

describe("dashboard actions in Chromium: one-click migrate, rollouts, roles", () => {
  let namespace: TestNamespace;
  let coordinator: CoordinatorProcess;
  let client: CoordinatorClient;
  let expensive: SimulatedSatellite;
  let cheap: SimulatedSatellite;
  let browser: Browser;
  let page: Page;
  let rolloutId = "";
  let operatorToken = "";
  let viewerToken = "";

  beforeAll(async () => {
    assertDashboardBuilt();
    namespace = await createTestNamespace("dashactions");
    const [httpPort, prometheusPort] = await Promise.all([freePort(), freePort()]);
    coordinator = await startCoordinatorProcess(namespace, {
      SENTRA_HTTP_PORT: String(httpPort),
      SENTRA_ARBITRAGE_INTERVAL_MS: "1000",
      SENTRA_ROLLOUT_RECONCILE_INTERVAL_MS: "500",
    });
    client = coordinatorClient(namespace, coordinator.grpcAddress, coordinator.adminToken);
    // Sign-in tokens of both kinds, made the way an admin would (sentra token create).
    operatorToken = (await createApiToken(client, "e2e-operator", "operator")).token;
    viewerToken = (await createApiToken(client, "e2e-viewer", "viewer")).token;
    [expensive, cheap] = await Promise.all([
      startPricedSatellite(namespace, "us-east-1", EXPENSIVE, {
        SENTRA_PROMETHEUS_URL: `http://127.0.0.1:${prometheusPort}`,
        SENTRA_SIM_TRAFFIC_RPS: "150",
      }),
      startPricedSatellite(namespace, "us-east-2", CHEAP),
    ]);
    const metricsUrl = (
      JSON.parse(
        expensive.process
          .output()
          .split("\n")
          .find((line) => line.includes('"simulated cluster started"')) ?? "{}",
      ) as { metricsUrl: string }
    ).metricsUrl;
    const prometheus = await startPrometheus({ targets: [metricsUrl], port: prometheusPort });
    namespace.defer(() => prometheus.dispose());
    await deployCheckout(expensive);
    await prometheus.waitForValue('sum(http_requests_total{service="checkout",version="v1"})', 30_000);
    await waitForEstate(client, [expensive, cheap]);

    browser = await launchChromium();
    namespace.defer(() => browser.close());
    // The globe starts over the viewer's time zone: over the two regions, so their arcs are in the pictures.
    page = await browser.newPage({ viewport: { width: 1440, height: 900 }, timezoneId: "America/New_York" });
    // Every migration state the page applies from a delta (not from a snapshot).
    await page.addInitScript(`
      window.__migrationStates = [];
      window.__sentraProbe = {
        deltaApplied(delta) {
          for (const migration of delta.changes.migrations?.upsert ?? []) window.__migrationStates.push(migration.state);
        },
      };
    `);
    await signIn(page, coordinator.httpUrl, operatorToken);
  }, 120_000);

  afterAll(async () => {
    await namespace?.dispose();
  }, 30_000);

  it("ranks the opportunities by margin, each with its arithmetic and a Migrate button for operators", async () => {
    const row = page.getByTestId("opportunity-default/checkout-api");
    await row.waitFor({ timeout: 20_000 });
    await expect.poll(() => page.getByTestId("opportunity-margin-default/checkout-api").textContent()).toBe("+$1.33");
    // Ranked: margins never increase down the list.
    const margins = (await page.locator('[data-testid^="opportunity-margin-"]').allTextContents()).map((text) =>
      Number(text.replace("−", "-").replace(/[^0-9.-]/g, "")),
    );
    expect(margins.length).toBeGreaterThan(1);
    expect([...margins].sort((a, b) => b - a)).toEqual(margins);
    expect(await row.textContent()).toMatch(/us-east-1.*us-east-2/);
    expect(await page.getByTestId("migrate-default/checkout-api").isVisible()).toBe(true);
    await page.waitForTimeout(1_500); // arcs and labels settle for the picture
    await saveScreenshot(page, "dashboard-opportunities");
  });

  it("one-click migrate with a negative margin shows the 412 refusal on the HUD at once", async () => {
    // From the cheap region's panel: move search-indexer to the expensive region.
    await page.locator('.ranking button:has-text("us-east-2")').click();
    const panel = page.getByTestId("region-panel");
    await panel.waitFor();
    const move = page.getByTestId(`move-${cheap.satelliteId}/${cheap.cluster}/default/search-indexer`);
    await move.selectOption("aws:us-east-1");
    const notice = page.getByTestId("hud-notice").filter({ hasText: "412" });
    await notice.waitFor({ timeout: 10_000 });
    expect(await notice.getAttribute("data-code")).toBe("FAILED_PRECONDITION");
    expect(await notice.textContent()).toMatch(/412 Precondition Failed.*would not pay.*margin −\d/);
    // The dialog shows the same refusal with the numbers that decided it.
    const dialog = page.getByTestId("migrate-dialog");
    expect(await dialog.getAttribute("data-step")).toBe("refused");
    expect(await page.getByTestId("migrate-refusal").textContent()).toMatch(/MARGIN_NOT_POSITIVE/);
    expect(await page.getByTestId("arithmetic-margin").textContent()).toMatch(/^−\$\d/);
    expect(await page.getByTestId("arithmetic-egress").textContent()).toBe("−$0.400");
    await saveScreenshot(page, "dashboard-migrate-refused");
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });
    await page.keyboard.press("Escape");
    await panel.waitFor({ state: "detached" });
  });

  it("one-click migrate with a positive margin shows the dry run, then runs the saga to done on the page", async () => {
    await page.getByTestId("migrate-default/checkout-api").click();
    const dialog = page.getByTestId("migrate-dialog");
    await expect.poll(() => dialog.getAttribute("data-step"), { timeout: 10_000 }).toBe("review");
    expect(await page.getByTestId("arithmetic-saving").textContent()).toBe("$1.44");
    expect(await page.getByTestId("arithmetic-egress").textContent()).toBe("−$0.100");
    expect(await page.getByTestId("arithmetic-overlap").textContent()).toBe("−$0.00750");
    expect(await page.getByTestId("arithmetic-margin").textContent()).toBe("$1.33");
    expect(await page.getByTestId("arithmetic-breakEven").textContent()).toBe("1.8 h");
    await saveScreenshot(page, "dashboard-migrate-dialog");

    await page.getByTestId("migrate-confirm").click();
    await expect.poll(() => dialog.getAttribute("data-step"), { timeout: 10_000 }).toBe("following");
    const state = page.getByTestId("saga-state");
    await expect.poll(() => state.getAttribute("data-state"), { timeout: 30_000 }).toBe("DONE");
    // Live: the steps arrived one delta after another as the saga journalled them, same document.
    // Deltas coalesce each migration's changes per 50 ms batch, so a step that lasted less than a
    // batch may be folded into the next; the saga must still arrive in more than one step.
    const applied = (await page.evaluate("window.__migrationStates")) as string[];
    const middle = applied.findIndex((state) =>
      ["SCALING_UP_TARGET", "TARGET_READY", "SCALING_DOWN_SOURCE"].includes(state),
    );
    expect(middle, `states applied from deltas: ${applied.join(", ")}`).toBeGreaterThanOrEqual(0);
    expect(applied.lastIndexOf("DONE")).toBeGreaterThan(middle);
    const stages = await Promise.all(
      (await page.locator(".saga-stage").all()).map((stage) => stage.getAttribute("data-state")),
    );
    expect(stages).toEqual(["PLANNED", "LOCKED", "SCALING_UP_TARGET", "TARGET_READY", "SCALING_DOWN_SOURCE", "DONE"]);

    // The workload moved: the target cluster runs the replicas, ready, and the page says so.
    const timeline = await replicaTimeline(cheap, "checkout-api");
    const last = timeline.at(-1);
    expect(last?.desired).toBeGreaterThan(timeline[0]?.desired ?? 0);
    expect(last?.ready).toBe(last?.desired);
    await expect
      .poll(() => page.getByTestId("replicas-target").textContent(), { timeout: 10_000 })
      .toBe(`${last?.ready}/${last?.desired} ready`);
    await saveScreenshot(page, "dashboard-saga-progress");
    await page.keyboard.press("Escape");
  });

  it("shows a rollout's steps and gate values against their thresholds; an operator promotes", async () => {
    const started = await client.startRollout({
      service: "checkout",
      namespace: "shop",
      stableVersion: "v1",
      canaryVersion: "v2",
      policyYaml: POLICY,
      waves: [{ satelliteId: expensive.satelliteId }],
      idempotencyKey: "dashboard-e2e-checkout-v2",
    });
    rolloutId = started.rollout?.id ?? "";
    expect(started.rollout?.waves[0]?.status).toBe(RolloutWaveStatus.RUNNING);

    await page.getByTestId("tab-rollouts").click();
    const card = page.getByTestId(`rollout-${rolloutId}`);
    await card.waitFor({ timeout: 15_000 });
    // Gate values arrive with each decision (every 2 s): wait for a few on the chart.
    await expect
      .poll(async () => Number(await card.getByTestId("gate-chart-error_rate").getAttribute("data-points")), {
        timeout: 45_000,
      })
      .toBeGreaterThanOrEqual(4);
    expect(await card.getByTestId("gate-value-error_rate").textContent()).toMatch(/^\d+(\.\d+)? %$/);
    expect(await card.getByTestId("gate-value-p95_latency_ms").textContent()).toMatch(/^\d+(\.\d+)? ms$/);
    // error_rate is judged sequentially (the default for a canary): against the stable version,
    // with its evidence under the chart; the chart still draws the 1 % threshold it holds at.
    expect(await card.getByTestId("gate-error_rate").textContent()).toMatch(/vs baseline.*1\.0 %/);
    expect(await card.getByTestId("gate-evidence-error_rate").textContent()).toMatch(
      /^no worse so far: e-value [\d.]+ of 200 \(α 0\.005\) · canary \d+\/\d+ vs baseline \d+\/\d+/,
    );
    // Under it, the evidence over the same evaluations, on a scale where 1 is conclusive: a healthy
    // canary's stays below it.
    const evidenceChart = card.getByTestId("evidence-chart-error_rate");
    expect(Number(await evidenceChart.getAttribute("data-points"))).toBeGreaterThanOrEqual(1);
    expect(Number(await evidenceChart.getAttribute("data-progress"))).toBeLessThan(1);
    expect(await evidenceChart.getAttribute("aria-label")).toMatch(
      /^error_rate: evidence \d+ % of the way to conclusive$/,
    );
    expect(await card.getByTestId("evidence-chart-p95_latency_ms").count()).toBe(1);
    expect(await card.getByTestId("rollout-weight").textContent()).toMatch(/step 1 of 4 · canary at 10 %/);
    await saveScreenshot(page, "dashboard-rollout");

    await card.getByTestId("promote-button").click();
    await expect
      .poll(() => card.getByTestId("rollout-weight").textContent(), { timeout: 15_000 })
      .toMatch(/step 2 of 4 · canary at 25 %/);
    await page.getByTestId("hud-notice").filter({ hasText: "promoted" }).waitFor();
  });

  it("a viewer sees the panels without action buttons, and a forged viewer action is refused", async () => {
    const context = await browser.newContext({
      viewport: { width: 1440, height: 900 },
      timezoneId: "America/New_York",
    });
    const viewer = await context.newPage();
    await signIn(viewer, coordinator.httpUrl, viewerToken);
    expect(await viewer.locator(".role-badge").textContent()).toBe("viewer");
    await viewer.getByTestId("opportunity-list").waitFor({ timeout: 10_000 });
    expect(await viewer.locator('[data-testid^="migrate-"]').count()).toBe(0);
    await viewer.getByTestId("tab-rollouts").click();
    const card = viewer.getByTestId(`rollout-${rolloutId}`);
    await card.getByTestId("gate-chart-error_rate").waitFor();
    expect(await card.locator("button", { hasText: /promote|abort/i }).count()).toBe(0);
    await saveScreenshot(viewer, "dashboard-rollout-viewer");
    await viewer.locator('.ranking button:has-text("us-east-1")').click();
    await viewer.getByTestId("region-panel").waitFor();
    expect(await viewer.locator('[data-testid^="move-"]').count()).toBe(0);
    await context.close();

    // The buttons are only the face of it: the gateway refuses a viewer's socket event itself.
    const refusedBefore = await readMetric(coordinator.httpUrl, "sentra_coordinator_dashboard_refused_events_total", {
      code: "PERMISSION_DENIED",
    });
    const socket = io(`${coordinator.httpUrl}${DASHBOARD_SOCKET_NAMESPACE}`, {
      auth: { token: viewerToken },
      forceNew: true,
      transports: ["websocket"],
    });
    namespace.defer(() => {
      socket.disconnect();
    });
    const answer = (await socket
      .timeout(10_000)
      .emitWithAck("abortRollout", { rolloutId, reason: "forged" })) as DashboardActionResult<RolloutActionResult>;
    expect(answer).toMatchObject({ ok: false, error: { code: "PERMISSION_DENIED", httpStatus: 403 } });
    expect(
      await readMetric(coordinator.httpUrl, "sentra_coordinator_dashboard_refused_events_total", {
        code: "PERMISSION_DENIED",
      }),
    ).toBe(refusedBefore + 1);
    const { rollout } = await client.getRollout({ rolloutId });
    expect(rollout?.waves[0]?.status).toBe(RolloutWaveStatus.RUNNING);
  });

  it("an operator aborts the rollout from its panel", async () => {
    const card = page.getByTestId(`rollout-${rolloutId}`);
    await card.getByTestId("abort-button").click();
    await card.getByTestId("abort-confirm-button").click();
    await expect.poll(() => card.getAttribute("data-phase"), { timeout: 20_000 }).toMatch(/^(ROLLED_BACK|ABORTED)$/);
    await eventually(async () => {
      const { rollout } = await client.getRollout({ rolloutId });
      expect(rollout?.waves[0]?.status).toBe(RolloutWaveStatus.ROLLED_BACK);
    }, 20_000);
  });
});

/** Signs a page in with a token and waits for the live feed. */
async function signIn(page: Page, url: string, token: string): Promise<void> {
  await page.goto(url);
  await page.getByTestId("token-input").fill(token);
  await page.getByTestId("signin-submit").click();
  await page.locator('[data-testid="connection-status"][data-status="live"]').waitFor({ timeout: 15_000 });
}
