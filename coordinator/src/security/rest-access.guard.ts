import { type CanActivate, type ExecutionContext, Inject, Injectable } from "@nestjs/common";
import { Reflector } from "@nestjs/core";
import { SentraError } from "@sentra/common";
import { AccessControl, bearerTokenOf } from "./access-control.js";
import { summariseForAudit } from "./audit-log.js";
import { AuditRecorder } from "./audit-recorder.js";
import {
  DEFAULT_ROUTE_ACCESS,
  type HttpRequestWithPrincipal,
  ROUTE_ACCESS_METADATA,
  type RouteAccess,
  restActionOf,
} from "./route-access.js";

interface HttpResponse {
  setHeader(name: string, value: string): unknown;
}

/**
 * The door of every REST route (registered globally): the bearer token of the `Authorization`
 * header, the route's role (`@Access`, default admin), and the rate limit on mutating routes.
 * Refusals are SentraErrors, so the global filter answers 401 / 403 / 429 with the JSON error
 * body; each refusal is audited. Public routes (`@PublicRoute`: /healthz, /metrics) and the
 * dashboard's static files (served by middleware before any route) need no token.
 */
@Injectable()
export class RestAccessGuard implements CanActivate {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(AccessControl) private readonly access: AccessControl,
    @Inject(AuditRecorder) private readonly audit: AuditRecorder,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== "http") return true;
    const route =
      this.reflector.getAllAndOverride<RouteAccess | undefined>(ROUTE_ACCESS_METADATA, [
        context.getHandler(),
        context.getClass(),
      ]) ?? DEFAULT_ROUTE_ACCESS;
    if (route.role === "public") return true;
    const request = context.switchToHttp().getRequest<HttpRequestWithPrincipal>();
    const action = restActionOf(request);
    const startedAt = performance.now();
    try {
      const principal = await this.access.authenticate(
        bearerTokenOf(request.headers.authorization),
        "rest",
        request.ip,
      );
      request.principal = principal;
      this.access.authorize(principal, route.role, action, "rest");
      if (route.mutating) await this.access.limit(principal, "rest");
      return true;
    } catch (error) {
      const refusal = SentraError.from(error);
      if (refusal.code === "UNAUTHENTICATED") {
        context.switchToHttp().getResponse<HttpResponse>().setHeader("WWW-Authenticate", 'Bearer realm="sentra"');
      }
      this.audit.record({
        at: new Date(),
        principal: request.principal?.name ?? "anonymous",
        role: request.principal?.role ?? "none",
        source: request.ip ?? "unknown",
        channel: "rest",
        action,
        target: summariseForAudit({ params: request.params, query: request.query, body: request.body }),
        result: refusal.code,
        durationMs: performance.now() - startedAt,
      });
      throw refusal;
    }
  }
}
