import { toJson } from "@bufbuild/protobuf";
import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query, Req, Res } from "@nestjs/common";
import { SentraError } from "@sentra/common";
import { MigrationSchema } from "@sentra/proto";
import type { TokenPrincipal } from "../security/api-token-store.js";
import { Access, RequestPrincipal } from "../security/route-access.js";
import { planJson } from "./arbitrage-estate-adapter.js";
import { MigrationService } from "./migration.service.js";
import { migrateInputSchema, parseInput, planInputSchema } from "./migration-input.js";
import { type MigrationRecord, toMigrationMessage } from "./migration-record.js";
import { OpportunityMonitor } from "./opportunity-monitor.service.js";

/**
 * REST for the dashboard (JSON bodies use the proto JSON names), each route with the role it needs
 * (`Authorization: Bearer <token>`; docs/security.md). Errors are `SentraError`s, mapped
 * to HTTP once by the global `SentraErrorFilter`: a refused plan is 412 with the plan as `details`,
 * bad input 400 naming the field.
 *
 * - `POST /api/v1/migrations/plan` `{ workload: { satelliteId, cluster?, namespace, name }, targetRegion? }` → 200 `{ plan }`
 * - `POST /api/v1/migrations` (same body + `idempotencyKey`, or the `Idempotency-Key` header; `requestedBy?`)
 *   → 202 `{ migration, replayed: false }`, or 200 `{ migration, replayed: true }` for a known key
 * - `GET /api/v1/migrations/:id` → `{ migration }`; `GET /api/v1/migrations?activeOnly&namespace&name&limit` → `{ migrations }`
 * - `GET /api/v1/opportunities?limit` → `{ opportunities, computedAt }`
 */
@Controller("api/v1")
export class MigrationController {
  constructor(
    private readonly migrations: MigrationService,
    private readonly monitor: OpportunityMonitor,
  ) {}

  @Access("viewer")
  @Post("migrations/plan")
  @HttpCode(200)
  plan(@Body() body: unknown) {
    return rest(async () => {
      const input = parseInput(planInputSchema, body, "json");
      return { plan: planJson(await this.migrations.plan(input.workload, input.targetRegion)) };
    });
  }

  @Access("operator", { mutating: true })
  @Post("migrations")
  @HttpCode(202)
  migrate(
    @Body() body: unknown,
    @Headers("idempotency-key") headerKey: string | undefined,
    @RequestPrincipal() principal: TokenPrincipal | undefined,
    @Req() request: { ip?: string },
    @Res({ passthrough: true }) response: { status(code: number): unknown },
  ) {
    return rest(async () => {
      const fields = typeof body === "object" && body !== null ? (body as Record<string, unknown>) : {};
      if (headerKey !== undefined && fields.idempotencyKey !== undefined && fields.idempotencyKey !== headerKey) {
        throw SentraError.invalidArgument("idempotencyKey", "differs from the Idempotency-Key header; send one");
      }
      const input = parseInput(
        migrateInputSchema,
        typeof body === "object" && body !== null
          ? { ...fields, idempotencyKey: headerKey ?? fields.idempotencyKey }
          : body,
        "json",
      );
      const { record, replayed } = await this.migrations.migrate({
        workload: input.workload,
        targetRegion: input.targetRegion,
        idempotencyKey: input.idempotencyKey,
        requestedBy: input.requestedBy ?? principal?.name ?? `rest ${request.ip ?? "?"}`,
        trigger: "manual",
      });
      if (replayed) response.status(200);
      return { migration: migrationJson(record), replayed };
    });
  }

  @Access("viewer")
  @Get("migrations/:id")
  get(@Param("id") id: string) {
    return rest(async () => ({ migration: migrationJson(await this.migrations.get(id)) }));
  }

  @Access("viewer")
  @Get("migrations")
  list(
    @Query("activeOnly") activeOnly?: string,
    @Query("namespace") namespace?: string,
    @Query("name") name?: string,
    @Query("limit") limit?: string,
  ) {
    return rest(async () => {
      if (activeOnly !== undefined && activeOnly !== "true" && activeOnly !== "false") {
        throw SentraError.invalidArgument("activeOnly", "must be true or false");
      }
      const count = limit === undefined ? 0 : Number(limit);
      if (!Number.isInteger(count) || count < 0)
        throw SentraError.invalidArgument("limit", "must be a whole number ≥ 0");
      const records = await this.migrations.list({
        activeOnly: activeOnly === "true",
        ...(namespace === undefined ? {} : { namespace }),
        ...(name === undefined ? {} : { name }),
        limit: count,
      });
      return { migrations: records.map(migrationJson) };
    });
  }

  @Access("viewer")
  @Get("opportunities")
  opportunities(@Query("limit") limit?: string) {
    return rest(async () => {
      const count = limit === undefined ? 0 : Number(limit);
      if (!Number.isInteger(count) || count < 0)
        throw SentraError.invalidArgument("limit", "must be a whole number ≥ 0");
      const ranking = await this.monitor.current();
      const messages = count > 0 ? ranking.messages.slice(0, count) : ranking.messages;
      return { opportunities: messages.map(planJson), computedAt: new Date(ranking.computedAtMs).toISOString() };
    });
  }
}

function migrationJson(record: MigrationRecord) {
  return toJson(MigrationSchema, toMigrationMessage(record), { alwaysEmitImplicit: true });
}

/** Service errors name proto fields (`workload.satellite_id`); REST callers see JSON names (`workload.satelliteId`). */
async function rest<T>(handler: () => Promise<T>): Promise<T> {
  try {
    return await handler();
  } catch (error) {
    if (error instanceof SentraError && error.field?.includes("_") && !error.field.startsWith("SENTRA_")) {
      const field = error.field.replace(/_([a-z])/g, (_match, letter: string) => letter.toUpperCase());
      throw new SentraError(error.code, error.message.replace(error.field, field), {
        ...error.options,
        field,
      });
    }
    throw error;
  }
}
