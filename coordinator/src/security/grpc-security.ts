import type { Logger } from "@sentra/common";
import { SentraError } from "@sentra/common";
import type { CallContext, CallInterceptor } from "@sentra/proto";
import type { ApiTokenStore } from "./api-token-store.js";
import { type AuditLog, summariseForAudit } from "./audit-log.js";
import { isMutating } from "./method-roles.js";
import type { MutationRateLimiter } from "./mutation-rate-limiter.js";
import { type Role, roleAllows } from "./role.js";

export interface GrpcSecurityDependencies {
  tokens: ApiTokenStore;
  audit: AuditLog;
  rateLimiter: MutationRateLimiter;
  requiredRole: (method: string) => Role;
  logger: Logger;
}

/** Extracts the bearer token of a call ("authorization: Bearer <token>" metadata). */
export function bearerToken(context: CallContext): string | undefined {
  const value = context.metadata.get("authorization")[0];
  if (typeof value !== "string") return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(value.trim());
  return match?.[1];
}

/**
 * Authentication, authorisation and rate limiting in front of every CoordinatorService method,
 * plus the audit record of every mutating call and every refused attempt.
 */
export function createGrpcSecurity(dependencies: GrpcSecurityDependencies): {
  interceptor: CallInterceptor;
  onCallEnd: (method: string, code: string, durationMs: number, context: CallContext, request: unknown) => void;
} {
  const { tokens, audit, rateLimiter, requiredRole, logger } = dependencies;
  const interceptor: CallInterceptor = async (context) => {
    const token = bearerToken(context);
    if (!token) {
      throw new SentraError("UNAUTHENTICATED", "missing bearer token: send metadata 'authorization: Bearer <token>'");
    }
    const principal = await tokens.verify(token);
    if (!principal) throw new SentraError("UNAUTHENTICATED", "invalid or revoked token");
    context.principal = { name: principal.name, role: principal.role, via: "token" };
    const required = requiredRole(context.method);
    if (!roleAllows(principal.role, required)) {
      throw new SentraError(
        "PERMISSION_DENIED",
        `${context.method} needs the ${required} role; token ${principal.name} has ${principal.role}`,
      );
    }
    if (isMutating(context.method)) await rateLimiter.check(principal.name);
  };
  const onCallEnd = (
    method: string,
    code: string,
    durationMs: number,
    context: CallContext,
    request: unknown,
  ): void => {
    const refused = code === "UNAUTHENTICATED" || code === "PERMISSION_DENIED" || code === "RESOURCE_EXHAUSTED";
    if (!isMutating(method) && !refused) return;
    audit
      .record({
        at: new Date(),
        principal: context.principal?.name ?? "anonymous",
        role: context.principal?.role ?? "none",
        source: context.peer,
        channel: "grpc",
        action: method,
        target: summariseForAudit(request),
        result: code,
        durationMs,
      })
      .catch((error: unknown) => logger.error({ err: String(error), method }, "audit record failed"));
  };
  return { interceptor, onCallEnd };
}
