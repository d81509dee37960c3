import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { create } from "@bufbuild/protobuf";
import { SentraError } from "@sentra/common";
import {
  AbortRolloutResponseSchema,
  GetRolloutHistoryResponseSchema,
  GetRolloutResponseSchema,
  ListRolloutsResponseSchema,
  type MultiClusterRollout,
  PromoteRolloutResponseSchema,
  RolloutPhase,
  StartRolloutResponseSchema,
  TrafficRouterKind,
} from "@sentra/proto";
import type { Command } from "commander";
import { type CommandContext, withCoordinator } from "../command-context.js";
import { parseDuration } from "../duration-option.js";
import { CommandOutcome, ExitCode } from "../exit-codes.js";
import { followStream } from "../follow-stream.js";
import { formatStreamDocument, formatTable, messageToJson, writeMessage } from "../output/output-format.js";
import {
  decisionsTable,
  describeRollout,
  phaseName,
  rolloutProgressLine,
  rolloutsTable,
  TERMINAL_ROLLOUT_PHASES,
} from "../rollout/rollout-summary.js";
import { parseWaveTarget } from "../rollout/wave-target-argument.js";
import { parseCount } from "./arbitrage-commands.js";

/** @default "60m" — how long `rollout start --wait` and `rollout watch` wait before exit code 7. */
const DEFAULT_WAIT_TIMEOUT = "60m";

const ROUTERS: Record<string, TrafficRouterKind> = {
  "gateway-api": TrafficRouterKind.GATEWAY_API,
  istio: TrafficRouterKind.ISTIO,
  nginx: TrafficRouterKind.NGINX,
  "replica-ratio": TrafficRouterKind.REPLICA_RATIO,
};

interface StartOptions {
  namespace: string;
  stable: string;
  canary: string;
  policy?: string;
  wave: string[];
  router?: string;
  route?: string;
  rollbackCompletedWaves?: boolean;
  idempotencyKey?: string;
  wait?: boolean;
  timeout: string;
}

/** `sentra rollout start|get|list|watch|promote|abort|history`: guarded releases across satellites. */
export function registerRolloutCommands(program: Command): void {
  const rollout = program.command("rollout").description("guarded releases across satellites, wave after wave");

  rollout
    .command("start")
    .description("start a release; --wait follows it and exits 10 unless it is promoted (blocks a pipeline)")
    .argument("<service>", "the service; Deployments are <service>-<version> unless the policy names them")
    .requiredOption("-n, --namespace <namespace>", "Kubernetes namespace")
    .requiredOption("--stable <version>", "the version serving now")
    .requiredOption("--canary <version>", "the version to release")
    .option("--policy <file>", "rollout policy YAML (docs/release-guard.md); '-' reads stdin")
    .requiredOption(
      "--wave <target...>",
      "waves in order: a satellite id, or key=value pairs (satellite=, region=, cloud=, cluster=), e.g. --wave region=us-east-1 --wave sat-eu-1",
    )
    .option("--router <kind>", `traffic router: ${Object.keys(ROUTERS).join(", ")} (default: the satellite's)`)
    .option("--route <name>", "HTTPRoute / VirtualService / Ingress name (default: the service name)")
    .option("--rollback-completed-waves", "when a wave fails, also move the promoted waves back to the stable version")
    .option("--idempotency-key <key>", "retrying with the same key returns the first call's rollout (default: new)")
    .option("--wait", "follow the rollout live; exit 0 when promoted, 10 when rolled back, aborted or failed")
    .option("--timeout <duration>", "with --wait: give up after this long (exit 7)", DEFAULT_WAIT_TIMEOUT)
    .action(async (service: string, options: StartOptions, command: Command) =>
      withCoordinator(command, async (context) => {
        const timeoutMs = parseDuration(options.timeout, "--timeout");
        const router = options.router === undefined ? TrafficRouterKind.UNSPECIFIED : ROUTERS[options.router];
        if (router === undefined) {
          throw SentraError.invalidArgument("--router", `must be one of ${Object.keys(ROUTERS).join(", ")}`);
        }
        const response = await context.client.startRollout({
          service,
          namespace: options.namespace,
          stableVersion: options.stable,
          canaryVersion: options.canary,
          policyYaml: options.policy === undefined ? "" : readPolicy(options.policy),
          trafficRouter: router,
          routeName: options.route ?? "",
          waves: options.wave.map(parseWaveTarget),
          rollbackCompletedWavesOnFailure: options.rollbackCompletedWaves === true,
          idempotencyKey: options.idempotencyKey ?? `cli-${randomUUID()}`,
          actor: "cli",
        });
        const started = response.rollout;
        if (!started) throw new SentraError("INTERNAL", "the coordinator answered without a rollout");
        process.stderr.write(
          `rollout ${started.id}${response.replayed ? " (already started with this idempotency key)" : ""}: ` +
            `${started.namespace}/${started.service} ${started.stableVersion} → ${started.canaryVersion}, ${started.waves.length} wave(s)\n`,
        );
        const final = options.wait ? await watchRollout(context, started.id, timeoutMs, "lines") : started;
        writeMessage(
          context.format,
          StartRolloutResponseSchema,
          create(StartRolloutResponseSchema, { ...response, rollout: final }),
          () => describeRollout(final),
        );
        if (options.wait) failUnlessPromoted(final);
      }),
    );

  rollout
    .command("get")
    .description("one rollout: its waves, the step and weight in flight, the last decision's gates")
    .argument("<id>", "rollout id (or one of its waves' ids)")
    .action(async (id: string, _options: unknown, command: Command) =>
      withCoordinator(command, async (context) => {
        const response = await context.client.getRollout({ rolloutId: id });
        writeMessage(context.format, GetRolloutResponseSchema, response, () => describeRollout(response.rollout));
      }),
    );

  rollout
    .command("list")
    .description("rollouts, newest first")
    .option("--active", "leave out rollouts that have ended")
    .option("--service <service>", "only this service")
    .option("-n, --namespace <namespace>", "only this namespace")
    .option("--limit <n>", "at most this many (coordinator's cap: 500)", parseCount, 50)
    .action(
      async (options: { active?: boolean; service?: string; namespace?: string; limit: number }, command: Command) =>
        withCoordinator(command, async (context) => {
          const response = await context.client.listRollouts({
            service: options.service ?? "",
            namespace: options.namespace ?? "",
            activeOnly: options.active === true,
            pageSize: options.limit,
          });
          writeMessage(context.format, ListRolloutsResponseSchema, response, () => rolloutsTable(response.rollouts));
        }),
    );

  rollout
    .command("watch")
    .description("follow a rollout live until it ends; exit 0 when promoted, 10 otherwise")
    .argument("<id>", "rollout id")
    .option("--timeout <duration>", "give up after this long (exit 7)", DEFAULT_WAIT_TIMEOUT)
    .action(async (id: string, options: { timeout: string }, command: Command) =>
      withCoordinator(command, async (context) => {
        const final = await watchRollout(context, id, parseDuration(options.timeout, "--timeout"), "documents");
        if (context.format === "table") process.stdout.write(`${rolloutProgressLine(final)}\n`);
        failUnlessPromoted(final);
      }),
    );

  rollout
    .command("promote")
    .description("skip the rest of the current step (or with --full, finish the wave in flight at 100 %)")
    .argument("<id>", "rollout id")
    .option("--full", "finish the wave in flight at 100 % at once")
    .action(async (id: string, options: { full?: boolean }, command: Command) =>
      withCoordinator(command, async (context) => {
        const response = await context.client.promoteRollout({
          rolloutId: id,
          full: options.full === true,
          actor: "cli",
        });
        writeMessage(context.format, PromoteRolloutResponseSchema, response, () => describeRollout(response.rollout));
      }),
    );

  rollout
    .command("abort")
    .description("stop the rollout and move the wave in flight back to the stable version")
    .argument("<id>", "rollout id")
    .option("--reason <text>", "why (recorded with the decision)", "aborted from the CLI")
    .option("--rollback-completed-waves", "also revert the waves already promoted")
    .option("--no-rollback-completed-waves", "keep the waves already promoted (default: as the rollout was started)")
    .action(async (id: string, options: { reason: string; rollbackCompletedWaves?: boolean }, command: Command) =>
      withCoordinator(command, async (context) => {
        const response = await context.client.abortRollout({
          rolloutId: id,
          reason: options.reason,
          actor: "cli",
          ...(options.rollbackCompletedWaves === undefined
            ? {}
            : { rollbackCompletedWaves: options.rollbackCompletedWaves }),
        });
        writeMessage(context.format, AbortRolloutResponseSchema, response, () => describeRollout(response.rollout));
      }),
    );

  rollout
    .command("history")
    .description("every decision of every wave with its gate values, and the incidents")
    .argument("<id>", "rollout id")
    .option("--limit <n>", "most recent decisions (coordinator default 500, cap 5000)", parseCount, 0)
    .action(async (id: string, options: { limit: number }, command: Command) =>
      withCoordinator(command, async (context) => {
        const history = await context.client.getRolloutHistory({ rolloutId: id, limit: options.limit });
        writeMessage(context.format, GetRolloutHistoryResponseSchema, history, () => {
          const incidents = history.incidents.map(
            (incident) => `incident ${incident.id} (${incident.severity}) ${incident.rolloutId}: ${incident.summary}`,
          );
          return `${formatTable(decisionsTable(history.decisions))}${incidents.length > 0 ? `\n${incidents.join("\n")}\n` : ""}`;
        });
      }),
    );
}

/**
 * Follows one rollout until it ends, one line per change on stderr. `rollout watch -o json|yaml`
 * instead writes every change to stdout as an NDJSON / YAML document, for a pipeline to act on;
 * `start --wait` keeps stdout for the one final document.
 */
async function watchRollout(
  context: CommandContext,
  idOrWaveId: string,
  timeoutMs: number,
  changes: "lines" | "documents",
): Promise<MultiClusterRollout> {
  // A wave's id names its rollout too; the stream carries rollout ids.
  let last = (await context.client.getRollout({ rolloutId: idOrWaveId })).rollout;
  if (!last) throw new SentraError("NOT_FOUND", `rollout ${idOrWaveId} not found`);
  const id = last.id;
  let lastLine = "";
  const show = (rollout: MultiClusterRollout): void => {
    if (context.format === "table" || changes === "lines") {
      const line = rolloutProgressLine(rollout);
      if (line !== lastLine) process.stderr.write(`${new Date().toISOString().slice(11, 19)}  ${line}\n`);
      lastLine = line;
    } else {
      const document = messageToJson(GetRolloutResponseSchema, create(GetRolloutResponseSchema, { rollout }));
      process.stdout.write(formatStreamDocument(context.format, document));
    }
  };
  show(last);
  if (TERMINAL_ROLLOUT_PHASES.has(last.phase)) return last;
  await followStream({
    open: (signal) => context.client.watchRollouts({ rolloutId: id }, { signal }),
    onMessage: ({ rollout }) => {
      if (!rollout || rollout.id !== id) return false;
      last = rollout;
      show(rollout);
      return TERMINAL_ROLLOUT_PHASES.has(rollout.phase);
    },
    onStreamEnd: async () => {
      const { rollout } = await context.client.getRollout({ rolloutId: id });
      if (rollout) {
        last = rollout;
        show(rollout);
      }
      return rollout !== undefined && TERMINAL_ROLLOUT_PHASES.has(rollout.phase);
    },
    timeoutMs,
    what: `rollout ${id}`,
  });
  return last;
}

function failUnlessPromoted(rollout: MultiClusterRollout): void {
  if (rollout.phase === RolloutPhase.PROMOTED) return;
  throw new CommandOutcome(
    ExitCode.ROLLOUT_NOT_PROMOTED,
    `rollout ${rollout.id} ended ${phaseName(rollout.phase)}${rollout.message ? `: ${rollout.message}` : ""}`,
  );
}

function readPolicy(path: string): string {
  try {
    return readFileSync(path === "-" ? 0 : path, "utf8");
  } catch (error) {
    throw SentraError.invalidArgument("--policy", `cannot read ${path}: ${(error as Error).message}`);
  }
}
