import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestNamespace, freePort, type TestNamespace } from "@sentra/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { type CliRun, runCli } from "./support/cli-process.js";
import { type CoordinatorProcess, startCoordinatorProcess } from "./support/estate-processes.js";
import { startFakeRolloutSatellite } from "./support/fake-rollout-satellite.js";
import {
  coordinatorClient,
  type SimulatedSatellite,
  startPricedSatellite,
  waitForEstate,
} from "./support/migration-estate.js";

describe("sentra CLI: rollouts for a pipeline", () => {
  let namespace: TestNamespace;
  let coordinator: CoordinatorProcess;
  let policyDir: string;
  let sentra: (args: readonly string[]) => Promise<CliRun>;

  beforeAll(async () => {
    namespace = await createTestNamespace("clirollout");
    coordinator = await startCoordinatorProcess(namespace, {
      SENTRA_ROLLOUT_RECONCILE_INTERVAL_MS: "300",
      SENTRA_ROLLOUT_POLL_INTERVAL_MS: "1000",
    });
    // Its verdict is the canary version: v2 promotes, v3 rolls back, v4 holds until told.
    const outcomes = { v2: "promote", v3: "rollback" } as const;
    await startFakeRolloutSatellite(namespace, {
      cloud: "aws",
      region: "us-east-1",
      stepMs: 300,
      outcome: (start) => outcomes[start.canaryVersion as keyof typeof outcomes] ?? "hold",
    });
    policyDir = mkdtempSync(join(tmpdir(), "sentra-cli-policy-"));
    writeFileSync(join(policyDir, "policy.yaml"), "steps: [25, 75]\n");
    sentra = (args) =>
      runCli(["--coordinator", coordinator.grpcAddress, ...args], { SENTRA_TOKEN: coordinator.adminToken });
    // The satellite is live once `satellites --live` lists it.
    for (let attempt = 0; attempt < 50; attempt++) {
      const live = await sentra(["satellites", "--live", "-o", "json"]);
      if (live.status === 0 && JSON.parse(live.stdout).satellites.length === 1) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }, 90_000);
  afterAll(async () => {
    rmSync(policyDir, { recursive: true, force: true });
    await namespace?.dispose();
  });

  const start = (canary: string, extra: readonly string[] = []) =>
    sentra([
      "rollout",
      "start",
      "checkout",
      "-n",
      "shop",
      "--stable",
      "v1",
      "--canary",
      canary,
      "--policy",
      join(policyDir, "policy.yaml"),
      "--wave",
      "region=us-east-1,cloud=aws",
      ...extra,
    ]);

  it("start --wait exits 0 when promoted and prints the final rollout as JSON; progress goes to stderr", async () => {
    const run = await start("v2", ["--wait", "-o", "json"]);
    expect(run.status, run.stderr).toBe(0);
    const document = JSON.parse(run.stdout);
    expect(document.rollout).toMatchObject({
      service: "checkout",
      namespace: "shop",
      canaryVersion: "v2",
      phase: "ROLLOUT_PHASE_PROMOTED",
      policyYaml: "steps: [25, 75]\n",
    });
    expect(document.rollout.waves[0]).toMatchObject({ region: "us-east-1", status: "ROLLOUT_WAVE_STATUS_PROMOTED" });
    expect(run.stderr).toMatch(/^rollout \S+: shop\/checkout v1 → v2, 1 wave\(s\)$/m);
    expect(run.stderr).toMatch(/PROMOTED {2}wave 1\/1 us-east-1 PROMOTED/);

    const history = await sentra(["rollout", "history", document.rollout.id, "-o", "json"]);
    expect(history.status, history.stderr).toBe(0);
    const decisions = JSON.parse(history.stdout).decisions as { phase: string }[];
    expect(decisions.map((decision) => decision.phase)).toContain("ROLLOUT_PHASE_PROMOTED");
    const table = await sentra(["rollout", "history", document.rollout.id]);
    expect(table.stdout.split("\n")[0]).toMatch(/^AT\s+ROLLOUT\s+#\s+STEP\s+CANARY\s+DECISION\s+PHASE\s+GATES$/);
  });

  it("start --wait exits 10 when the canary rolls back, so the pipeline stops", async () => {
    const run = await start("v3", ["--wait"]);
    expect(run.status, run.stderr).toBe(10);
    expect(run.stderr).toMatch(/sentra: rollout \S+ ended ROLLED_BACK/);
    expect(run.stdout).toMatch(/ROLLED_BACK/);
  });

  it("report writes an HTML and a PDF KPI report stamped with thresholds; exit 12 when a KPI misses", async () => {
    const listed = JSON.parse((await sentra(["rollout", "list", "-o", "json"])).stdout).rollouts as {
      id: string;
      canaryVersion: string;
    }[];
    const promoted = listed.find((rollout) => rollout.canaryVersion === "v2")?.id ?? "";
    const rolledBack = listed.find((rollout) => rollout.canaryVersion === "v3")?.id ?? "";
    const html = join(policyDir, "promoted.html");
    const pdf = join(policyDir, "promoted.pdf");
    const good = await sentra(["report", "rollout", promoted, "--html", html, "--pdf", pdf, "-o", "json"]);
    expect(good.status, good.stderr).toBe(0);
    expect(JSON.parse(good.stdout)).toMatchObject({ pass: true, html, pdf });
    expect(readFileSync(html, "utf8")).toMatch(/<tr data-kpi="Outcome" data-verdict="PASS">.*= PROMOTED/);
    expect(readFileSync(pdf).subarray(0, 5).toString()).toBe("%PDF-");

    const bad = await sentra(["report", "rollout", rolledBack, "--html", join(policyDir, "bad.html"), "-o", "json"]);
    expect(bad.status).toBe(12);
    const kpis = JSON.parse(bad.stdout).kpis as {
      name: string;
      value: unknown;
      threshold: string;
      pass: boolean | null;
    }[];
    expect(kpis.find((kpi) => kpi.name === "Outcome")).toMatchObject({ value: "ROLLED_BACK", pass: false });
    // The fake satellite completes its rollback one step (300 ms) after deciding it.
    const rollback = kpis.find((kpi) => kpi.name.startsWith("Time to roll back"));
    expect(rollback).toMatchObject({ threshold: "≤ 10 s", pass: true });
    expect(rollback?.value as number).toBeGreaterThan(0);
    expect(rollback?.value as number).toBeLessThan(10);
    expect(bad.stderr).toMatch(/KPIs missed: Outcome/);
    const strict = await sentra([
      "report",
      "rollout",
      rolledBack,
      "--html",
      join(policyDir, "strict.html"),
      "--max-rollback-seconds",
      "0.001",
    ]);
    expect(strict.stdout).toMatch(/^Time to roll back, wave 1 \(us-east-1\)\s+\S+ s\s+≤ 0\.001 s\s+FAIL$/m);

    const estate = await sentra(["report", "estate", "--html", join(policyDir, "estate.html"), "-o", "json"]);
    expect(estate.status, estate.stderr).toBe(0);
    expect(JSON.parse(estate.stdout).kpis).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: "Satellites live", value: "1/1", pass: true })]),
    );
  });

  it("watch follows a rollout live until another call aborts it (exit 10); get, list and yaml agree", async () => {
    const started = await start("v4", ["-o", "json"]);
    expect(started.status, started.stderr).toBe(0);
    const id = JSON.parse(started.stdout).rollout.id as string;

    const watching = sentra(["rollout", "watch", id, "-o", "json", "--timeout", "60s"]);
    const got = await sentra(["rollout", "get", id, "-o", "yaml"]);
    expect(got.status, got.stderr).toBe(0);
    expect(parse(got.stdout).rollout).toMatchObject({ id, canaryVersion: "v4" });
    const listed = await sentra(["rollout", "list", "--active", "-o", "yaml"]);
    expect((parse(listed.stdout).rollouts as { id: string }[]).map((rollout) => rollout.id)).toEqual([id]);

    const aborted = await sentra(["rollout", "abort", id, "--reason", "bad release"]);
    expect(aborted.status, aborted.stderr).toBe(0);
    const watched = await watching;
    expect(watched.status, watched.stderr).toBe(10);
    // NDJSON: one document per change, the last one ABORTED.
    const changes = watched.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line).rollout);
    expect(changes.length).toBeGreaterThanOrEqual(2);
    expect(changes[0].phase).not.toBe("ROLLOUT_PHASE_ABORTED");
    expect(changes.at(-1)).toMatchObject({ id, phase: "ROLLOUT_PHASE_ABORTED" });
  });

  it("exit codes: 4 for an unknown rollout, 2 for bad arguments (naming the flag), 3 without a token, 5 with no coordinator", async () => {
    const missing = await sentra(["rollout", "get", "no-such-rollout"]);
    expect(missing.status).toBe(4);
    expect(missing.stderr).toMatch(/^sentra: NOT_FOUND/);
    const badWave = await start("v2", ["--wave", "zone=a"]);
    expect(badWave.status).toBe(2);
    expect(badWave.stderr).toMatch(/--wave #2/);
    const badRouter = await start("v2", ["--router", "carrier-pigeon"]);
    expect(badRouter.status).toBe(2);
    expect(badRouter.stderr).toMatch(/--router/);
    const noToken = await runCli(["--coordinator", coordinator.grpcAddress, "rollout", "list"]);
    expect(noToken.status).toBe(3);
    const nobody = await runCli(["--coordinator", `127.0.0.1:${await freePort()}`, "satellites"]);
    expect(nobody.status).toBe(5);
    expect(nobody.stderr).toMatch(/UNAVAILABLE.*--coordinator/);
    // The rollouts refused above left nothing behind.
    const all = await sentra(["rollout", "list", "-o", "json"]);
    expect((JSON.parse(all.stdout).rollouts as unknown[]).length).toBe(3);
  });
});

describe("sentra CLI: arbitrage and migrations", () => {
  let namespace: TestNamespace;
  let coordinator: CoordinatorProcess;
  let east1: SimulatedSatellite;
  let east2: SimulatedSatellite;
  let sentra: (args: readonly string[]) => Promise<CliRun>;

  beforeAll(async () => {
    namespace = await createTestNamespace("climigrate");
    coordinator = await startCoordinatorProcess(namespace, {
      SENTRA_ARBITRAGE_INTERVAL_MS: "250",
      SENTRA_MIGRATION_POLL_INTERVAL_MS: "100",
    });
    [east1, east2] = await Promise.all([
      startPricedSatellite(namespace, "us-east-1", { m5: 0.1, c5: 0.1 }, { SENTRA_SIM_READINESS_DELAY_MS: "300" }),
      startPricedSatellite(namespace, "us-east-2", { m5: 0.02, c5: 0.03 }, { SENTRA_SIM_READINESS_DELAY_MS: "300" }),
    ]);
    await waitForEstate(coordinatorClient(namespace, coordinator.grpcAddress, coordinator.adminToken), [east1, east2]);
    sentra = (args) =>
      runCli(["--coordinator", coordinator.grpcAddress, ...args], { SENTRA_TOKEN: coordinator.adminToken });
  }, 90_000);
  afterAll(async () => {
    await namespace?.dispose();
  });

  it("lists opportunities, shows a plan's arithmetic, and exits 6 with the refused plan when a move does not pay", async () => {
    let ranking: { workload: { name: string }; targetRegion: string; marginUsd: number }[] = [];
    for (let attempt = 0; attempt < 40 && ranking.length === 0; attempt++) {
      const run = await sentra(["opportunities", "-o", "json"]);
      expect(run.status, run.stderr).toBe(0);
      ranking = JSON.parse(run.stdout).opportunities;
      if (ranking.length === 0) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const checkout = ranking.find((plan) => plan.workload.name === "checkout-api");
    expect(checkout).toMatchObject({ targetRegion: "us-east-2" });
    // (0.075 − 0.015) × 24 − 10 GB × 0.01 − (0.075 + 0.015) × 300 / 3600 (docs/arbitrage.md)
    expect(checkout?.marginUsd).toBeCloseTo(1.3325, 10);

    const accepted = await sentra(["plan", `${east1.satelliteId}/default/checkout-api`, "--to", "us-east-2"]);
    expect(accepted.status, accepted.stderr).toBe(0);
    expect(accepted.stdout).toMatch(/^ACCEPTED$/m);
    expect(accepted.stdout).toMatch(/margin\s+1\.3325 USD/);
    // Simulated satellites price with the model: every plan and ranking says so.
    expect(accepted.stdout).toMatch(/cost now .* model price\)/);
    const table = await sentra(["opportunities"]);
    expect(table.stdout).toMatch(/MARGIN USD\s+PRICES/);
    expect(table.stdout).toMatch(/checkout-api.*model→model/);
    const regions = await sentra(["regions"]);
    expect(regions.stdout).toMatch(/USD\/H\s+PRICE SOURCE/);
    expect(regions.stdout).toMatch(/aws\/us-east-1 .* model/);

    const refused = await sentra([
      "plan",
      `${east2.satelliteId}/default/search-indexer`,
      "--to",
      "us-east-1",
      "-o",
      "json",
    ]);
    expect(refused.status).toBe(6);
    const plan = JSON.parse(refused.stdout).plan;
    expect(plan).toMatchObject({ accepted: false, refusalCode: "MARGIN_NOT_POSITIVE", sourceRegion: "us-east-2" });
    expect(plan.marginUsd).toBeLessThan(0);
    expect(refused.stderr).toMatch(/plan refused/);

    const badRef = await sentra(["plan", "just-a-name"]);
    expect(badRef.status).toBe(2);
    expect(badRef.stderr).toMatch(/<workload>/);
  });

  it("migrate --wait follows the saga step by step to DONE; migrations list and get show it", async () => {
    const run = await sentra(["migrate", `${east1.satelliteId}/default/checkout-api`, "--to", "us-east-2", "--wait"]);
    expect(run.status, run.stderr).toBe(0);
    // Not a terminal here: one line per journalled step, in the saga's order.
    const steps = [...run.stderr.matchAll(/^migration \S+: ([A-Z_]+)/gm)].map((match) => match[1]);
    expect(steps).toEqual(["PLANNED", "LOCKED", "SCALING_UP_TARGET", "TARGET_READY", "SCALING_DOWN_SOURCE", "DONE"]);
    expect(run.stdout).toMatch(/DONE/);

    const listed = await sentra(["migrations", "-o", "yaml"]);
    expect(listed.status, listed.stderr).toBe(0);
    const [migration] = parse(listed.stdout).migrations as { id: string; state: string; requestedBy: string }[];
    expect(migration).toMatchObject({ state: "MIGRATION_STATE_DONE", requestedBy: "cli" });
    const got = await sentra(["migrations", "get", migration?.id ?? "", "-o", "json"]);
    expect(JSON.parse(got.stdout).migration.steps).toHaveLength(6);
    const watched = await sentra(["migrations", "watch", migration?.id ?? ""]);
    expect(watched.status, watched.stderr).toBe(0);
    const all = await sentra(["migrations", "list", "--active", "-o", "yaml"]);
    expect(parseAllDocuments(all.stdout)[0]?.toJSON()).toEqual({ migrations: [] });
  });
});
