import { randomUUID } from "node:crypto";
import { create, fromJson } from "@bufbuild/protobuf";
import { SentraError } from "@sentra/common";
import {
  GetMigrationResponseSchema,
  ListMigrationsResponseSchema,
  ListOpportunitiesResponseSchema,
  MigrateResponseSchema,
  type Migration,
  type MigrationPlan,
  MigrationPlanSchema,
  MigrationState,
  msOf,
  PlanMigrationResponseSchema,
  priceSourceName,
  WatchOpportunitiesResponseSchema,
} from "@sentra/proto";
import type { Command } from "commander";
import { type CommandContext, withCoordinator } from "../command-context.js";
import { parseDuration } from "../duration-option.js";
import { CommandOutcome, ExitCode } from "../exit-codes.js";
import { followStream } from "../follow-stream.js";
import {
  formatDocument,
  formatStreamDocument,
  formatTable,
  messageToJson,
  type Table,
  writeMessage,
} from "../output/output-format.js";
import { createMigrationProgress, stateName } from "../progress/migration-progress.js";
import { formatWorkloadRef, parseWorkloadArgument } from "../workload-argument.js";

const TERMINAL_MIGRATION_STATES = new Set([MigrationState.DONE, MigrationState.COMPENSATED, MigrationState.FAILED]);
/** @default "30m" — how long `migrate --wait` and `migrations watch` wait before exit code 7. */
const DEFAULT_WAIT_TIMEOUT = "30m";

/** `sentra opportunities|plan|migrate|migrations`: cross-region spot arbitrage and its migration sagas. */
export function registerArbitrageCommands(program: Command): void {
  program
    .command("opportunities")
    .description("moves that pay: per workload the target with the best margin after egress and overlap")
    .option("--limit <n>", "at most this many, best first", parseCount, 0)
    .option("-w, --watch", "keep printing the ranking each time it is recomputed and changed")
    .action(async (options: { limit: number; watch?: boolean }, command: Command) =>
      withCoordinator(command, async (context) => {
        if (!options.watch) {
          const ranking = await context.client.listOpportunities({ limit: options.limit });
          writeMessage(context.format, ListOpportunitiesResponseSchema, ranking, () =>
            opportunitiesTable(ranking.opportunities),
          );
          return;
        }
        // Runs until interrupted (Ctrl-C): a watch has no end of its own.
        await followStream({
          open: (signal) => context.client.watchOpportunities({}, { signal }),
          onMessage: (ranking) => {
            const shown = options.limit > 0 ? ranking.opportunities.slice(0, options.limit) : ranking.opportunities;
            if (context.format === "table") {
              process.stdout.write(
                `# ${new Date(msOf(ranking.computedAt)).toISOString()}\n${formatTable(opportunitiesTable(shown))}`,
              );
            } else {
              process.stdout.write(
                formatStreamDocument(context.format, messageToJson(WatchOpportunitiesResponseSchema, ranking)),
              );
            }
            return false;
          },
          timeoutMs: Number.MAX_SAFE_INTEGER / 2,
          what: "opportunities",
        });
      }),
    );

  program
    .command("plan")
    .description("dry run of one move: the arithmetic, and whether the saving beats egress and overlap")
    .argument(
      "<workload>",
      "satellite/namespace/name (or satellite/cluster/namespace/name), as `sentra workloads` prints",
    )
    .option("--to <region>", "target region or cloud:region (default: the one with the best margin)")
    .action(async (workload: string, options: { to?: string }, command: Command) =>
      withCoordinator(command, async (context) => {
        const request = { workload: parseWorkloadArgument(workload), targetRegion: options.to ?? "" };
        try {
          const { plan } = await context.client.planMigration(request);
          writeMessage(
            context.format,
            PlanMigrationResponseSchema,
            create(PlanMigrationResponseSchema, { plan }),
            () => (plan ? describePlan(plan) : "-"),
          );
        } catch (error) {
          const refused = refusedPlanOf(error);
          if (!refused) throw error;
          writePlanDocument(context, refused);
          throw new CommandOutcome(ExitCode.REFUSED, `plan refused (${refused.refusalCode})`);
        }
      }),
    );

  program
    .command("migrate")
    .description("move a workload make-before-break (the saga runs on the coordinator); --wait follows it")
    .argument("<workload>", "satellite/namespace/name (or satellite/cluster/namespace/name)")
    .option("--to <region>", "target region or cloud:region (default: the one with the best margin)")
    .option("--idempotency-key <key>", "retrying with the same key returns the first call's migration (default: new)")
    .option("--wait", "follow the saga with a progress bar; exit 11 if it compensates or fails")
    .option("--timeout <duration>", "with --wait: give up after this long (exit 7)", DEFAULT_WAIT_TIMEOUT)
    .action(
      async (
        workload: string,
        options: { to?: string; idempotencyKey?: string; wait?: boolean; timeout: string },
        command: Command,
      ) =>
        withCoordinator(command, async (context) => {
          const timeoutMs = parseDuration(options.timeout, "--timeout");
          const request = {
            workload: parseWorkloadArgument(workload),
            targetRegion: options.to ?? "",
            idempotencyKey: options.idempotencyKey ?? `cli-${randomUUID()}`,
            requestedBy: "cli",
          };
          let response: Awaited<ReturnType<typeof context.client.migrate>>;
          try {
            response = await context.client.migrate(request);
          } catch (error) {
            const refused = refusedPlanOf(error);
            if (!refused) throw error;
            writePlanDocument(context, refused);
            throw new CommandOutcome(ExitCode.REFUSED, `migration refused (${refused.refusalCode})`);
          }
          const started = response.migration;
          if (!started) throw new SentraError("INTERNAL", "the coordinator answered without a migration");
          process.stderr.write(
            `migration ${started.id} ${response.replayed ? "(already started with this idempotency key) " : ""}` +
              `${formatWorkloadRef(started.plan?.workload)} → ${started.plan?.targetCloud}:${started.plan?.targetRegion}\n`,
          );
          const final = options.wait ? await waitForMigration(context, started.id, timeoutMs) : started;
          writeMessage(
            context.format,
            MigrateResponseSchema,
            create(MigrateResponseSchema, { replayed: response.replayed, migration: final }),
            () => formatTable(migrationsTable([final])),
          );
          if (options.wait) failUnlessDone(final);
        }),
    );

  const migrations = program.command("migrations").description("migration sagas: list, get, watch");
  migrations
    .command("list", { isDefault: true })
    .description("migrations, newest first (the default subcommand)")
    .option("--active", "only those still running")
    .option("--namespace <namespace>", "only this namespace")
    .option("--name <name>", "only this workload name")
    .option("--limit <n>", "at most this many (coordinator's cap: 500)", parseCount, 50)
    .action(async (options: { active?: boolean; namespace?: string; name?: string; limit: number }, command: Command) =>
      withCoordinator(command, async (context) => {
        const listed = await context.client.listMigrations({
          activeOnly: options.active === true,
          namespace: options.namespace ?? "",
          name: options.name ?? "",
          limit: options.limit,
        });
        writeMessage(context.format, ListMigrationsResponseSchema, listed, () => migrationsTable(listed.migrations));
      }),
    );
  migrations
    .command("get")
    .description("one migration with its journalled steps")
    .argument("<id>", "migration id")
    .action(async (id: string, _options: unknown, command: Command) =>
      withCoordinator(command, async (context) => {
        const response = await context.client.getMigration({ id });
        writeMessage(context.format, GetMigrationResponseSchema, response, () => describeMigration(response.migration));
      }),
    );
  migrations
    .command("watch")
    .description("follow one migration until it ends; exit 11 if it compensates or fails")
    .argument("<id>", "migration id")
    .option("--timeout <duration>", "give up after this long (exit 7)", DEFAULT_WAIT_TIMEOUT)
    .action(async (id: string, options: { timeout: string }, command: Command) =>
      withCoordinator(command, async (context) => {
        const final = await waitForMigration(context, id, parseDuration(options.timeout, "--timeout"));
        writeMessage(
          context.format,
          GetMigrationResponseSchema,
          create(GetMigrationResponseSchema, { migration: final }),
          () => describeMigration(final),
        );
        failUnlessDone(final);
      }),
    );
}

/** Follows one saga to its end with a progress bar (stderr), re-attaching if the coordinator drops the stream. */
async function waitForMigration(context: CommandContext, id: string, timeoutMs: number): Promise<Migration> {
  const progress = createMigrationProgress();
  let last: Migration | undefined;
  const ended = (migration: Migration | undefined): migration is Migration =>
    migration !== undefined && TERMINAL_MIGRATION_STATES.has(migration.state);
  try {
    await followStream({
      open: (signal) => context.client.watchMigrations({ id }, { signal }),
      onMessage: ({ migration }) => {
        if (!migration) return false;
        last = migration;
        progress.update(migration);
        return ended(migration);
      },
      onStreamEnd: async () => {
        const { migration } = await context.client.getMigration({ id });
        if (migration) {
          last = migration;
          progress.update(migration);
        }
        return ended(migration);
      },
      timeoutMs,
      what: `migration ${id}`,
    });
  } finally {
    progress.stop();
  }
  if (!ended(last)) throw new SentraError("INTERNAL", `migration ${id} stream ended before the migration did`);
  return last;
}

function failUnlessDone(migration: Migration): void {
  if (migration.state === MigrationState.DONE) return;
  throw new CommandOutcome(
    ExitCode.MIGRATION_NOT_DONE,
    `migration ${migration.id} ended ${stateName(migration.state)}${migration.error ? `: ${migration.error}` : ""}`,
  );
}

/** A refusal (FAILED_PRECONDITION and friends) carries the refused plan as details; anything else is not a refusal. */
function refusedPlanOf(error: unknown): MigrationPlan | undefined {
  const failure = SentraError.from(error);
  const details = failure.details;
  if (failure.code !== "FAILED_PRECONDITION" || !details || !("refusalCode" in details)) return undefined;
  try {
    return fromJson(MigrationPlanSchema, details as never, { ignoreUnknownFields: true });
  } catch {
    return undefined;
  }
}

/** The refused plan, in the same shape an accepted one is printed in (stdout), so a script sees why. */
function writePlanDocument(context: CommandContext, plan: MigrationPlan): void {
  if (context.format === "table") process.stdout.write(`${describePlan(plan)}\n`);
  else process.stdout.write(formatDocument(context.format, { plan: messageToJson(MigrationPlanSchema, plan) }));
}

function opportunitiesTable(plans: readonly MigrationPlan[]): Table {
  return {
    headers: [
      "WORKLOAD",
      "FROM",
      "TO",
      "TARGET SATELLITE",
      "USD/H NOW",
      "USD/H TARGET",
      "EGRESS USD",
      "MARGIN USD",
      "PRICES",
    ],
    rows: plans.map((plan) => [
      formatWorkloadRef(plan.workload),
      `${plan.sourceCloud}:${plan.sourceRegion}`,
      `${plan.targetCloud}:${plan.targetRegion}`,
      plan.targetSatelliteId,
      plan.costNowUsdPerHour.toFixed(4),
      plan.costTargetUsdPerHour.toFixed(4),
      plan.egressUsd.toFixed(4),
      plan.marginUsd.toFixed(4),
      `${priceSourceName(plan.sourcePriceSource)}→${priceSourceName(plan.targetPriceSource)}`,
    ]),
  };
}

/** The arithmetic of one plan, line by line, as an operator checks it. */
export function describePlan(plan: MigrationPlan): string {
  const verdict = plan.accepted ? "ACCEPTED" : `REFUSED (${plan.refusalCode}): ${plan.refusalReason}`;
  const head = `${formatWorkloadRef(plan.workload)}: ${plan.sourceCloud}:${plan.sourceRegion} → ${plan.targetCloud || "?"}:${
    plan.targetRegion || plan.requestedTarget || "?"
  }${plan.targetSatelliteId ? ` (satellite ${plan.targetSatelliteId}, cluster ${plan.targetCluster})` : ""}\n${verdict}`;
  if (!plan.priced) return `${head}\n(not priced: a needed price is stale or missing)`;
  const usd = (value: number) => value.toFixed(4).padStart(10);
  return [
    head,
    `  cost now     ${usd(plan.costNowUsdPerHour)} USD/h  (${plan.replicas} × ${plan.sourceInstanceShare.toFixed(3)} of ${plan.sourceInstanceType} at ${plan.sourcePriceUsdPerHour.toFixed(4)}, ${priceSourceName(plan.sourcePriceSource)} price)`,
    `  cost target  ${usd(plan.costTargetUsdPerHour)} USD/h  (${plan.replicas} × ${plan.targetInstanceShare.toFixed(3)} of ${plan.targetInstanceType} at ${plan.targetPriceUsdPerHour.toFixed(4)}, ${priceSourceName(plan.targetPriceSource)} price)`,
    `  saving       ${usd(plan.savings24hUsd)} USD    over ${plan.horizonHours} h`,
    `  egress       ${usd(-plan.egressUsd)} USD    (${plan.stateGb} GB [${plan.stateGbFrom}] × ${plan.egressUsdPerGb} USD/GB [${plan.egressPriceMatch}])`,
    `  overlap      ${usd(-plan.overlapUsd)} USD    (both copies for ${plan.readinessEstimateSeconds} s)`,
    `  margin       ${usd(plan.marginUsd)} USD    (needs > ${plan.minMarginUsd.toFixed(4)})`,
  ].join("\n");
}

function migrationsTable(list: readonly Migration[]): Table {
  return {
    headers: ["ID", "WORKLOAD", "FROM", "TO", "STATE", "BY", "CREATED"],
    rows: list.map((migration) => [
      migration.id,
      formatWorkloadRef(migration.plan?.workload),
      `${migration.plan?.sourceCloud}:${migration.plan?.sourceRegion}`,
      `${migration.plan?.targetCloud}:${migration.plan?.targetRegion}`,
      stateName(migration.state),
      migration.requestedBy,
      new Date(msOf(migration.createdAt)).toISOString(),
    ]),
  };
}

function describeMigration(migration: Migration | undefined): string {
  if (!migration) return "-";
  const steps = formatTable({
    headers: ["#", "STATE", "AT", "DETAIL"],
    rows: migration.steps.map((step) => [
      String(step.sequence),
      stateName(step.state),
      new Date(msOf(step.at)).toISOString(),
      step.detail,
    ]),
  });
  return `${formatTable(migrationsTable([migration]))}${migration.error ? `error: ${migration.error}\n` : ""}\n${steps}`;
}

/** A non-negative whole number option. */
export function parseCount(value: string): number {
  if (!/^\d+$/.test(value))
    throw SentraError.invalidArgument("--limit", `${JSON.stringify(value)} is not a whole number`);
  return Number(value);
}
