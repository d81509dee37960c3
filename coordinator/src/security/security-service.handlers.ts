import type { MessageInitShape } from "@bufbuild/protobuf";
import { Inject, Injectable } from "@nestjs/common";
import { SentraError } from "@sentra/common";
import {
  ApiTokenRole,
  type ApiTokenSchema,
  type AuditEventSchema,
  type CoordinatorService,
  type ServiceImplementation,
  timestampFromDate,
  timestampMs,
} from "@sentra/proto";
import { type ApiTokenRecord, ApiTokenStore } from "./api-token-store.js";
import { AuditLog, type AuditRecord } from "./audit-log.js";
import type { Role } from "./role.js";
import { TokenRevocations } from "./token-revocations.js";

/** @default 50 — audit events per page when the request names no page size. */
const DEFAULT_AUDIT_PAGE_SIZE = 50;
const MAX_AUDIT_PAGE_SIZE = 500;

const ROLE_OF_ENUM: Partial<Record<ApiTokenRole, Role>> = {
  [ApiTokenRole.VIEWER]: "viewer",
  [ApiTokenRole.OPERATOR]: "operator",
  [ApiTokenRole.ADMIN]: "admin",
};
const ENUM_OF_ROLE: Record<string, ApiTokenRole> = {
  viewer: ApiTokenRole.VIEWER,
  operator: ApiTokenRole.OPERATOR,
  admin: ApiTokenRole.ADMIN,
};

/** CoordinatorService handlers for credentials and the audit log (admin only, see method-roles.ts). */
@Injectable()
export class SecurityServiceHandlers {
  constructor(
    @Inject(ApiTokenStore) private readonly tokens: ApiTokenStore,
    @Inject(AuditLog) private readonly audit: AuditLog,
    @Inject(TokenRevocations) private readonly revocations: TokenRevocations,
  ) {}

  implementation(): Pick<
    ServiceImplementation<typeof CoordinatorService>,
    "createApiToken" | "revokeApiToken" | "listApiTokens" | "listAuditEvents"
  > {
    return {
      createApiToken: async (request, context) => {
        const role = ROLE_OF_ENUM[request.role];
        if (!role) {
          throw SentraError.invalidArgument(
            "role",
            "required: API_TOKEN_ROLE_VIEWER, API_TOKEN_ROLE_OPERATOR or API_TOKEN_ROLE_ADMIN",
          );
        }
        const { token, record } = await this.tokens.create(request.name, role, context.principal?.name ?? "unknown");
        return { apiToken: apiTokenMessage(record), token };
      },

      revokeApiToken: async (request) => {
        const { selector } = request;
        if (selector.case === undefined) throw SentraError.invalidArgument("selector", "set id or name");
        if (selector.value === "") throw SentraError.invalidArgument(selector.case, "must not be empty");
        const revoked = await this.tokens.revoke(
          selector.case === "id" ? { id: selector.value } : { name: selector.value },
        );
        if (revoked.length === 0) {
          throw new SentraError(
            "NOT_FOUND",
            `no token with ${selector.case} ${selector.value} that is not revoked already`,
            { field: selector.case },
          );
        }
        this.revocations.announce(revoked.map((record) => record.id));
        return { revoked: revoked.map(apiTokenMessage) };
      },

      listApiTokens: async (request) => ({
        apiTokens: (await this.tokens.list({ includeRevoked: request.includeRevoked })).map(apiTokenMessage),
      }),

      listAuditEvents: async (request) => {
        const pageSize = request.pageSize || DEFAULT_AUDIT_PAGE_SIZE;
        if (pageSize > MAX_AUDIT_PAGE_SIZE) {
          throw SentraError.invalidArgument("page_size", `at most ${MAX_AUDIT_PAGE_SIZE}`);
        }
        let beforeId: number | undefined;
        if (request.pageToken) {
          if (!/^[1-9][0-9]{0,14}$/.test(request.pageToken)) {
            throw SentraError.invalidArgument("page_token", "not a token from a previous response");
          }
          beforeId = Number(request.pageToken);
        }
        if (request.channel && !["grpc", "rest", "socket"].includes(request.channel)) {
          throw SentraError.invalidArgument("channel", "must be grpc, rest, socket or empty");
        }
        const sinceMs = request.since ? timestampMs(request.since) : undefined;
        const untilMs = request.until ? timestampMs(request.until) : undefined;
        if (sinceMs !== undefined && untilMs !== undefined && untilMs <= sinceMs) {
          throw SentraError.invalidArgument("until", "must be after since");
        }
        const records = await this.audit.list({
          limit: pageSize + 1,
          principal: request.principal,
          action: request.action,
          result: request.result,
          channel: request.channel,
          sinceMs,
          untilMs,
          beforeId,
        });
        const page = records.slice(0, pageSize);
        const last = page.at(-1);
        return {
          events: page.map(auditEventMessage),
          nextPageToken: records.length > pageSize && last ? String(last.id) : "",
        };
      },
    };
  }
}

function apiTokenMessage(record: ApiTokenRecord): MessageInitShape<typeof ApiTokenSchema> {
  return {
    id: record.id,
    name: record.name,
    role: ENUM_OF_ROLE[record.role] ?? ApiTokenRole.UNSPECIFIED,
    createdAt: timestampFromDate(record.createdAt),
    createdBy: record.createdBy,
    revokedAt: record.revokedAt ? timestampFromDate(record.revokedAt) : undefined,
    lastUsedAt: record.lastUsedAt ? timestampFromDate(record.lastUsedAt) : undefined,
  };
}

function auditEventMessage(record: AuditRecord): MessageInitShape<typeof AuditEventSchema> {
  return {
    id: BigInt(record.id),
    at: timestampFromDate(record.at),
    principal: record.principal,
    role: ENUM_OF_ROLE[record.role] ?? ApiTokenRole.UNSPECIFIED,
    source: record.source,
    channel: record.channel,
    action: record.action,
    target: record.target,
    result: record.result,
    durationMs: record.durationMs,
  };
}
