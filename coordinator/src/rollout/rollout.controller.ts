import { create, type JsonValue, toJson } from "@bufbuild/protobuf";
import { Body, Controller, Get, HttpCode, Ip, Param, Post, Query } from "@nestjs/common";
import { SentraError } from "@sentra/common";
import { GetRolloutHistoryResponseSchema, ListRolloutsResponseSchema, MultiClusterRolloutSchema } from "@sentra/proto";
import type { TokenPrincipal } from "../security/api-token-store.js";
import { Access, RequestPrincipal } from "../security/route-access.js";
import { RolloutService } from "./rollout.service.js";
import { MAX_ACTOR_LENGTH } from "./start-rollout-request.js";

/**
 * REST for the dashboard: the same use cases as the gRPC methods with the same roles, the same
 * protobuf JSON (camelCase fields, enum names, RFC 3339 times). Errors are SentraErrors, mapped to HTTP once by
 * the global error filter.
 */
@Controller("api/v1/rollouts")
export class RolloutController {
  constructor(private readonly rollouts: RolloutService) {}

  /** `?service=&namespace=&activeOnly=true&pageSize=&pageToken=` */
  @Access("viewer")
  @Get()
  async list(@Query() query: Record<string, unknown>): Promise<JsonValue> {
    const pageSize = query.pageSize === undefined ? 0 : Number(query.pageSize);
    if (!Number.isInteger(pageSize) || pageSize < 0)
      throw SentraError.invalidArgument("pageSize", "must be a whole number");
    const response = await this.rollouts.list({
      service: optionalString(query.service, "service"),
      namespace: optionalString(query.namespace, "namespace"),
      activeOnly: query.activeOnly === "true" || query.activeOnly === "1",
      pageSize,
      pageToken: optionalString(query.pageToken, "pageToken"),
    });
    return toJson(ListRolloutsResponseSchema, create(ListRolloutsResponseSchema, response));
  }

  @Access("viewer")
  @Get(":id")
  async get(@Param("id") id: string): Promise<JsonValue> {
    return toJson(MultiClusterRolloutSchema, await this.rollouts.get(id));
  }

  /** `?limit=` most recent decisions (default 500). */
  @Access("viewer")
  @Get(":id/history")
  async history(@Param("id") id: string, @Query("limit") limit?: string): Promise<JsonValue> {
    const parsed = limit === undefined ? 0 : Number(limit);
    if (!Number.isInteger(parsed) || parsed < 0) throw SentraError.invalidArgument("limit", "must be a whole number");
    const history = await this.rollouts.history(id, parsed);
    return toJson(GetRolloutHistoryResponseSchema, create(GetRolloutHistoryResponseSchema, history));
  }

  /** Body `{ "full"?: boolean, "actor"?: string }`. */
  @Access("operator", { mutating: true })
  @Post(":id/promote")
  @HttpCode(200)
  async promote(
    @Param("id") id: string,
    @Body() body: unknown,
    @Ip() ip: string,
    @RequestPrincipal() principal: TokenPrincipal | undefined,
  ): Promise<JsonValue> {
    const fields = objectBody(body);
    const full = optionalBoolean(fields.full, "full") ?? false;
    const rollout = await this.rollouts.promote(id, full, actorOf(fields.actor, principal, ip));
    return toJson(MultiClusterRolloutSchema, rollout);
  }

  /** Body `{ "reason"?: string, "actor"?: string, "rollbackCompletedWaves"?: boolean }`. */
  @Access("operator", { mutating: true })
  @Post(":id/abort")
  @HttpCode(200)
  async abort(
    @Param("id") id: string,
    @Body() body: unknown,
    @Ip() ip: string,
    @RequestPrincipal() principal: TokenPrincipal | undefined,
  ): Promise<JsonValue> {
    const fields = objectBody(body);
    const rollout = await this.rollouts.abort(id, {
      reason: optionalString(fields.reason, "reason") ?? "",
      actor: actorOf(fields.actor, principal, ip),
      rollbackCompletedWaves: optionalBoolean(fields.rollbackCompletedWaves, "rollbackCompletedWaves"),
    });
    return toJson(MultiClusterRolloutSchema, rollout);
  }
}

function objectBody(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null || (typeof body === "object" && Object.keys(body).length === 0)) return {};
  if (typeof body !== "object" || Array.isArray(body))
    throw SentraError.invalidArgument("body", "must be a JSON object");
  return body as Record<string, unknown>;
}

function optionalString(value: unknown, field: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string") throw SentraError.invalidArgument(field, "must be a string");
  return value;
}

function optionalBoolean(value: unknown, field: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "boolean") throw SentraError.invalidArgument(field, "must be true or false");
  return value;
}

function actorOf(value: unknown, principal: TokenPrincipal | undefined, ip: string): string {
  const actor = optionalString(value, "actor");
  if (actor && actor.length > MAX_ACTOR_LENGTH) {
    throw SentraError.invalidArgument("actor", `is longer than ${MAX_ACTOR_LENGTH} characters`);
  }
  return actor || principal?.name || `http:${ip}`;
}
