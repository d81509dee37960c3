import type { CallContext, CallInterceptor } from "@sentra/proto";
import { type AccessControl, bearerTokenOf } from "./access-control.js";
import { summariseForAudit } from "./audit-log.js";
import type { AuditRecorder } from "./audit-recorder.js";
import { isMutating } from "./method-roles.js";
import type { OpenGrpcStreams } from "./open-grpc-streams.js";
import type { Role } from "./role.js";

export interface GrpcSecurityDependencies {
  access: AccessControl;
  audit: AuditRecorder;
  requiredRole: (method: string) => Role;
  /** Where streams are registered, so a revocation ends them. */
  streams: OpenGrpcStreams;
}

/** Codes the interceptor answers with when it refuses a call. */
const REFUSALS = new Set(["UNAUTHENTICATED", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED"]);

/**
 * The address of a gRPC peer without its port (`127.0.0.1:51234`, `[::1]:51234`, `ipv4:…`): the
 * port changes with every connection, the address is the caller.
 */
export function sourceAddressOf(peer: string): string {
  const address = peer.replace(/^ipv[46]:/, "");
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(address);
  if (bracketed) return bracketed[1] as string;
  const colons = address.split(":").length - 1;
  // One colon: host:port. More: a bare IPv6 address, kept whole.
  return colons === 1 ? address.slice(0, address.lastIndexOf(":")) : address;
}

/** Extracts the bearer token of a call ("authorization: Bearer <token>" metadata). */
export function bearerToken(context: CallContext): string | undefined {
  return bearerTokenOf(context.metadata.get("authorization")[0]);
}

/**
 * Authentication, authorisation and rate limiting in front of every CoordinatorService method
 * (health and reflection are other services and stay open), plus the audit record of every
 * mutating call and of every refused attempt, whatever the method. Streams are registered with
 * their token, so that revoking it ends them.
 */
export function createGrpcSecurity(dependencies: GrpcSecurityDependencies): {
  interceptor: CallInterceptor;
  onCallEnd: (method: string, code: string, durationMs: number, context: CallContext, request: unknown) => void;
} {
  const { access, audit, requiredRole, streams } = dependencies;
  const interceptor: CallInterceptor = async (context) => {
    const principal = await access.authenticate(bearerToken(context), "grpc", sourceAddressOf(context.peer));
    context.principal = { name: principal.name, role: principal.role, via: "token" };
    access.authorize(principal, requiredRole(context.method), context.method, "grpc");
    if (isMutating(context.method)) await access.limit(principal, "grpc");
    if (context.streaming) streams.add(context, principal.tokenId);
  };
  const onCallEnd = (
    method: string,
    code: string,
    durationMs: number,
    context: CallContext,
    request: unknown,
  ): void => {
    if (context.streaming) streams.remove(context);
    if (!isMutating(method) && !REFUSALS.has(code)) return;
    audit.record({
      at: new Date(),
      principal: context.principal?.name ?? "anonymous",
      role: context.principal?.role ?? "none",
      source: sourceAddressOf(context.peer),
      channel: "grpc",
      action: method,
      target: summariseForAudit(request),
      result: code,
      durationMs,
    });
  };
  return { interceptor, onCallEnd };
}
