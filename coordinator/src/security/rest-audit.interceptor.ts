import {
  type CallHandler,
  type ExecutionContext,
  HttpException,
  Inject,
  Injectable,
  type NestInterceptor,
} from "@nestjs/common";
import { Reflector } from "@nestjs/core";
import { SentraError } from "@sentra/common";
import { type Observable, tap } from "rxjs";
import { summariseForAudit } from "./audit-log.js";
import { AuditRecorder } from "./audit-recorder.js";
import {
  DEFAULT_ROUTE_ACCESS,
  type HttpRequestWithPrincipal,
  ROUTE_ACCESS_METADATA,
  type RouteAccess,
  restActionOf,
} from "./route-access.js";

/** Audits every mutating REST call the guard let in, with its outcome (refusals are audited by the guard). */
@Injectable()
export class RestAuditInterceptor implements NestInterceptor {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(AuditRecorder) private readonly audit: AuditRecorder,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== "http") return next.handle();
    const route =
      this.reflector.getAllAndOverride<RouteAccess | undefined>(ROUTE_ACCESS_METADATA, [
        context.getHandler(),
        context.getClass(),
      ]) ?? DEFAULT_ROUTE_ACCESS;
    const request = context.switchToHttp().getRequest<HttpRequestWithPrincipal>();
    if (!route.mutating || !request.principal) return next.handle();
    const principal = request.principal;
    const startedAt = performance.now();
    const record = (result: string): void =>
      this.audit.record({
        at: new Date(),
        principal: principal.name,
        role: principal.role,
        source: request.ip ?? "unknown",
        channel: "rest",
        action: restActionOf(request),
        target: summariseForAudit({ params: request.params, query: request.query, body: request.body }),
        result,
        durationMs: performance.now() - startedAt,
      });
    return next.handle().pipe(
      tap({
        complete: () => record("OK"),
        error: (error: unknown) => record(resultOf(error)),
      }),
    );
  }
}

function resultOf(error: unknown): string {
  if (error instanceof SentraError) return error.code;
  if (error instanceof HttpException) return `HTTP_${error.getStatus()}`;
  return "INTERNAL";
}
