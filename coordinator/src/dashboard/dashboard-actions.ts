import { Injectable } from "@nestjs/common";
import {
  type DashboardActionError,
  type MigrateResult,
  type PlanMigrationResult,
  type RolloutActionResult,
  SentraError,
} from "@sentra/common";
import { MigrationService } from "../migration/migration.service.js";
import { migrateInputSchema, parseInput, planInputSchema } from "../migration/migration-input.js";
import { toMigrationMessage } from "../migration/migration-record.js";
import { RolloutService } from "../rollout/rollout.service.js";
import { abortRolloutInputSchema, promoteRolloutInputSchema } from "../rollout/rollout-action-input.js";
import { planViewFromDetails, toMigrationView, toPlanView } from "./arbitrage-views.js";
import { DashboardFeed } from "./dashboard-feed.service.js";
import { toRolloutView } from "./rollout-views.js";

/**
 * What an operator can do from the dashboard, through the same services as the gRPC and REST
 * edges: the dry run, the migration (with the page's idempotency key), promote and abort. Input
 * is validated here (errors name the field, in the JSON names the page sent); who may act is the
 * gateway's check.
 */
@Injectable()
export class DashboardActions {
  constructor(
    private readonly migrations: MigrationService,
    private readonly rollouts: RolloutService,
    private readonly feed: DashboardFeed,
  ) {}

  /** The dry run; a refusal throws FAILED_PRECONDITION (412) with the plan in its details. */
  async planMigration(body: unknown): Promise<PlanMigrationResult> {
    const input = parseInput(planInputSchema, body, "json");
    return { plan: toPlanView(await this.migrations.plan(input.workload, input.targetRegion)) };
  }

  /** Starts the saga (its steps then arrive in the `migrations` topic). */
  async migrate(body: unknown, actor: string): Promise<MigrateResult> {
    const fields = objectBody(body);
    if (fields.requestedBy !== undefined) throw SentraError.invalidArgument("requestedBy", "is set by the coordinator");
    const input = parseInput(migrateInputSchema, fields, "json");
    const { record, replayed } = await this.migrations.migrate({
      workload: input.workload,
      targetRegion: input.targetRegion,
      idempotencyKey: input.idempotencyKey,
      requestedBy: actor,
      trigger: "manual",
    });
    return { migration: toMigrationView(toMigrationMessage(record)), replayed };
  }

  async promoteRollout(body: unknown, actor: string): Promise<RolloutActionResult> {
    // The page's principal acts; an `actor` in the body is checked like the other edges' and not used.
    const input = parseInput(promoteRolloutInputSchema, objectBody(body), "json");
    const rollout = await this.rollouts.promote(input.rolloutId, input.full, actor);
    return { rollout: toRolloutView(rollout, [], [], (id) => this.feed.regionKeyOf(id)) };
  }

  async abortRollout(body: unknown, actor: string): Promise<RolloutActionResult> {
    const input = parseInput(abortRolloutInputSchema, objectBody(body), "json");
    const rollout = await this.rollouts.abort(input.rolloutId, {
      reason: input.reason,
      actor,
      rollbackCompletedWaves: input.rollbackCompletedWaves,
    });
    return { rollout: toRolloutView(rollout, [], [], (id) => this.feed.regionKeyOf(id)) };
  }
}

/**
 * An action's failure in the error vocabulary, as the REST API would answer it (a refused dry run
 * is 412 with its plan). Anything that is not a SentraError is an internal error whose message
 * stays in the coordinator's log.
 */
export function toActionError(error: unknown): DashboardActionError {
  if (!(error instanceof SentraError)) {
    return { code: "INTERNAL", httpStatus: 500, message: "internal error; see the coordinator log" };
  }
  const field = error.field === undefined ? undefined : jsonFieldName(error.field);
  const message =
    field !== undefined && error.field !== undefined ? error.message.replace(error.field, field) : error.message;
  const plan = planViewFromDetails(error.details);
  return {
    code: error.code,
    httpStatus: error.httpStatus,
    message,
    ...(field === undefined ? {} : { field }),
    ...(plan === undefined ? {} : { plan }),
  };
}

/** The services name proto fields (`workload.satellite_id`); a page sent JSON names (`workload.satelliteId`). */
function jsonFieldName(field: string): string {
  if (field.startsWith("SENTRA_")) return field;
  return field.replace(/_([a-z])/g, (_match, letter: string) => letter.toUpperCase());
}

function objectBody(body: unknown): Record<string, unknown> {
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw SentraError.invalidArgument("(body)", "must be an object");
  return body as Record<string, unknown>;
}
