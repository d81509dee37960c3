import { create, type JsonValue, toJson } from "@bufbuild/protobuf";
import { Body, Controller, Get, HttpCode, Ip, Param, Post, Query } from "@nestjs/common";
import { SentraError } from "@sentra/common";
import { GetRolloutHistoryResponseSchema, ListRolloutsResponseSchema, MultiClusterRolloutSchema } from "@sentra/proto";
import { parseInput } from "../migration/migration-input.js";
import type { TokenPrincipal } from "../security/api-token-store.js";
import { Access, RequestPrincipal } from "../security/route-access.js";
import { RolloutService } from "./rollout.service.js";
import { abortRolloutInputSchema, promoteRolloutInputSchema } from "./rollout-action-input.js";

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
    const input = parseInput(promoteRolloutInputSchema, { ...objectBody(body), rolloutId: id }, "json");
    const rollout = await this.rollouts.promote(input.rolloutId, input.full, input.actor || callerOf(principal, ip));
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
    const input = parseInput(abortRolloutInputSchema, { ...objectBody(body), rolloutId: id }, "json");
    const rollout = await this.rollouts.abort(input.rolloutId, {
      reason: input.reason,
      actor: input.actor || callerOf(principal, ip),
      rollbackCompletedWaves: input.rollbackCompletedWaves,
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

/** Who acts when the request does not say: the token's name, else the client address. */
function callerOf(principal: TokenPrincipal | undefined, ip: string): string {
  return principal?.name || `http:${ip}`;
}
