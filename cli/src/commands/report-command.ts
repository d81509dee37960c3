import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { SentraError } from "@sentra/common";
import { Liveness, type MultiClusterRollout, msOf } from "@sentra/proto";
import type { Command } from "commander";
import { type CommandContext, withCoordinator } from "../command-context.js";
import { CommandOutcome, ExitCode } from "../exit-codes.js";
import { formatDocument, formatTable, type Table } from "../output/output-format.js";
import { stateName } from "../progress/migration-progress.js";
import { estateKpis } from "../report/estate-kpis.js";
import { allPass, type Kpi } from "../report/kpi.js";
import { DEFAULT_CHROMIUM, printPdf } from "../report/print-pdf.js";
import { type ReportDocument, renderReportHtml } from "../report/report-html.js";
import { DEFAULT_ROLLOUT_KPI_THRESHOLDS, type RolloutKpiThresholds, rolloutKpis } from "../report/rollout-kpis.js";
import { decisionsTable, phaseName, rolloutsTable, waveStatusName } from "../rollout/rollout-summary.js";
import { formatWorkloadRef } from "../workload-argument.js";

interface ReportOptions {
  html?: string;
  pdf?: string;
  chromium?: string;
  maxRollbackSeconds: number;
}

/** `sentra report rollout <id>|estate`: a KPI report as HTML (and PDF), each KPI stamped with its threshold. */
export function registerReportCommand(program: Command): void {
  const report = program
    .command("report")
    .description("KPI report as HTML (and PDF through headless Chromium); exit 12 when a KPI misses its threshold");
  const withOutputs = (command: Command) =>
    command
      .option("--html <file>", "where to write the HTML (default: sentra-report-<subject>.html)")
      .option("--pdf <file>", "also print it to this PDF with headless Chromium")
      .option("--chromium <path>", `Chromium for the PDF (env SENTRA_CHROMIUM; default ${DEFAULT_CHROMIUM})`)
      .option(
        "--max-rollback-seconds <s>",
        "KPI: a rollback moves all traffic back within this long",
        parseSeconds,
        DEFAULT_ROLLOUT_KPI_THRESHOLDS.maxRollbackSeconds,
      );

  withOutputs(
    report.command("rollout").description("one rollout: outcome, time to detect and roll back, gates, error budget"),
  )
    .argument("<id>", "rollout id")
    .action(async (id: string, options: ReportOptions, command: Command) =>
      withCoordinator(command, async (context) => {
        const { rollout } = await context.client.getRollout({ rolloutId: id });
        if (!rollout) throw new SentraError("NOT_FOUND", `rollout ${id} not found`);
        const history = await context.client.getRolloutHistory({ rolloutId: rollout.id, limit: 5000 });
        const document: ReportDocument = {
          title: `Release report: ${rollout.namespace}/${rollout.service} ${rollout.stableVersion} → ${rollout.canaryVersion}`,
          subject: `rollout ${rollout.id}`,
          generatedAt: new Date(),
          source: `coordinator ${coordinatorOf(command)}`,
          kpis: rolloutKpis(rollout, history.decisions, thresholdsOf(options)),
          sections: [
            { title: "Rollout", table: rolloutsTable([rollout]) },
            { title: "Waves", table: wavesTable(rollout) },
            { title: "Decisions", table: decisionsTable(history.decisions) },
            {
              title: "Incidents",
              table: {
                headers: ["AT", "ROLLOUT", "SEVERITY", "SUMMARY"],
                rows: history.incidents.map((incident) => [
                  new Date(msOf(incident.at)).toISOString(),
                  incident.rolloutId,
                  incident.severity,
                  incident.summary,
                ]),
              },
            },
          ],
        };
        await publish(context, document, options, `rollout-${rollout.id}`);
      }),
    );

  withOutputs(
    report.command("estate").description("the estate: liveness, migrations and savings, opportunities, release health"),
  )
    .option("--rollouts <n>", "how many recent rollouts to judge", parseRolloutCount, 20)
    .action(async (options: ReportOptions & { rollouts: number }, command: Command) =>
      withCoordinator(command, async (context) => {
        const [{ satellites }, { migrations }, { opportunities }, { rollouts }] = await Promise.all([
          context.client.listSatellites({}),
          context.client.listMigrations({ limit: 500 }),
          context.client.listOpportunities({}),
          context.client.listRollouts({ pageSize: options.rollouts }),
        ]);
        const thresholds = thresholdsOf(options);
        const rollbackSeconds: number[] = [];
        for (const rollout of rollouts) {
          const { decisions } = await context.client.getRolloutHistory({ rolloutId: rollout.id, limit: 5000 });
          for (const kpi of rolloutKpis(rollout, decisions, thresholds)) {
            if (kpi.name.startsWith("Time to roll back") && typeof kpi.value === "number")
              rollbackSeconds.push(kpi.value);
          }
        }
        const document: ReportDocument = {
          title: "Estate report",
          subject: `${satellites.length} satellites`,
          generatedAt: new Date(),
          source: `coordinator ${coordinatorOf(command)}`,
          kpis: estateKpis({ satellites, migrations, opportunities, rollouts, rollbackSeconds }, thresholds),
          sections: [
            {
              title: "Satellites",
              table: {
                headers: ["SATELLITE", "REGION", "LIVENESS", "CLUSTERS"],
                rows: satellites.map((satellite) => [
                  satellite.id,
                  `${satellite.region?.cloud}/${satellite.region?.name}`,
                  (Liveness[satellite.liveness] ?? "?").toLowerCase(),
                  satellite.clusters.map((cluster) => cluster.cluster).join(", "),
                ]),
              },
            },
            {
              title: "Migrations",
              table: {
                headers: ["ID", "WORKLOAD", "FROM", "TO", "STATE", "MARGIN USD"],
                rows: migrations.map((migration) => [
                  migration.id,
                  formatWorkloadRef(migration.plan?.workload),
                  `${migration.plan?.sourceCloud}:${migration.plan?.sourceRegion}`,
                  `${migration.plan?.targetCloud}:${migration.plan?.targetRegion}`,
                  stateName(migration.state),
                  (migration.plan?.marginUsd ?? 0).toFixed(4),
                ]),
              },
            },
            { title: "Recent rollouts", table: rolloutsTable(rollouts) },
          ],
        };
        await publish(context, document, options, "estate");
      }),
    );
}

/** Writes the HTML (and PDF), prints the KPIs, and ends with exit 12 when one missed its threshold. */
async function publish(
  context: CommandContext,
  document: ReportDocument,
  options: ReportOptions,
  subject: string,
): Promise<void> {
  const html = renderReportHtml(document);
  const htmlPath = resolve(options.html ?? `sentra-report-${subject}.html`);
  await writeFile(htmlPath, html);
  let pdfPath: string | undefined;
  if (options.pdf) {
    pdfPath = resolve(options.pdf);
    await printPdf(html, pdfPath, options.chromium ?? process.env.SENTRA_CHROMIUM ?? DEFAULT_CHROMIUM);
  }
  const pass = allPass(document.kpis);
  if (context.format === "table") {
    process.stdout.write(formatTable(kpiTable(document.kpis)));
    process.stderr.write(`report: ${htmlPath}${pdfPath ? `, ${pdfPath}` : ""}\n`);
  } else {
    process.stdout.write(
      formatDocument(context.format, {
        title: document.title,
        subject: document.subject,
        generatedAt: document.generatedAt.toISOString(),
        pass,
        kpis: document.kpis,
        html: htmlPath,
        ...(pdfPath ? { pdf: pdfPath } : {}),
      }),
    );
  }
  if (!pass) {
    const missed = document.kpis.filter((kpi) => kpi.pass === false).map((kpi) => kpi.name);
    throw new CommandOutcome(ExitCode.KPI_NOT_MET, `KPIs missed: ${missed.join("; ")}`);
  }
}

function kpiTable(kpis: readonly Kpi[]): Table {
  return {
    headers: ["KPI", "VALUE", "THRESHOLD", "RESULT"],
    rows: kpis.map((kpi) => [
      kpi.name,
      kpi.value === null ? "-" : `${kpi.value}${kpi.unit ? ` ${kpi.unit}` : ""}`,
      kpi.threshold || "-",
      kpi.pass === null ? "info" : kpi.pass ? "PASS" : "FAIL",
    ]),
  };
}

function wavesTable(rollout: MultiClusterRollout): Table {
  return {
    headers: ["WAVE", "SATELLITE", "REGION", "STATUS", "PHASE", "CANARY", "MESSAGE"],
    rows: rollout.waves.map((wave) => [
      String(wave.index + 1),
      wave.satelliteId,
      wave.region,
      waveStatusName(wave.status),
      wave.rollout ? phaseName(wave.rollout.phase) : "-",
      wave.rollout ? `${wave.rollout.canaryWeight}%` : "-",
      wave.message,
    ]),
  };
}

function thresholdsOf(options: ReportOptions): RolloutKpiThresholds {
  return { maxRollbackSeconds: options.maxRollbackSeconds };
}

function coordinatorOf(command: Command): string {
  return (
    command.optsWithGlobals<{ coordinator?: string }>().coordinator ??
    process.env.SENTRA_COORDINATOR ??
    "127.0.0.1:50051"
  );
}

function parseSeconds(value: string): number {
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw SentraError.invalidArgument(
      "--max-rollback-seconds",
      `${JSON.stringify(value)} is not a positive number of seconds`,
    );
  }
  return seconds;
}

function parseRolloutCount(value: string): number {
  const count = Number(value);
  if (!Number.isInteger(count) || count < 1 || count > 500)
    throw SentraError.invalidArgument("--rollouts", "a whole number 1–500");
  return count;
}
