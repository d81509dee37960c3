import { createParamDecorator, type ExecutionContext, SetMetadata } from "@nestjs/common";
import type { TokenPrincipal } from "./api-token-store.js";
import type { Role } from "./role.js";

/** Who may call a REST route, and whether it changes anything (rate-limited and audited). */
export interface RouteAccess {
  role: Role | "public";
  mutating: boolean;
}

export const ROUTE_ACCESS_METADATA = "sentra:route-access";

/**
 * A route without `@Access` or `@PublicRoute` needs admin and counts as mutating (default deny):
 * a new route is closed until someone decides who may call it.
 */
export const DEFAULT_ROUTE_ACCESS: RouteAccess = { role: "admin", mutating: true };

/** The role a REST route needs; `mutating` routes are rate-limited and audited. */
export const Access = (role: Role, options: { mutating?: boolean } = {}): MethodDecorator =>
  SetMetadata(ROUTE_ACCESS_METADATA, { role, mutating: options.mutating ?? false } satisfies RouteAccess);

/** A route anyone may call without a token (/healthz, /metrics). */
export const PublicRoute = (): MethodDecorator =>
  SetMetadata(ROUTE_ACCESS_METADATA, { role: "public", mutating: false } satisfies RouteAccess);

/** The authenticated caller of a REST request, once the access guard has let it in. */
export const RequestPrincipal = createParamDecorator(
  (_data: unknown, context: ExecutionContext): TokenPrincipal | undefined =>
    context.switchToHttp().getRequest<HttpRequestWithPrincipal>().principal,
);

/** The request fields the guard and the audit interceptor read; `principal` is set by the guard. */
export interface HttpRequestWithPrincipal {
  method: string;
  ip?: string;
  route?: { path?: string };
  originalUrl?: string;
  headers: Record<string, string | string[] | undefined>;
  params?: unknown;
  query?: unknown;
  body?: unknown;
  principal?: TokenPrincipal;
}

/** The audit action of a REST request: method and route pattern, e.g. `POST /api/v1/rollouts/:id/abort`. */
export function restActionOf(request: HttpRequestWithPrincipal): string {
  const path = request.route?.path ?? (request.originalUrl ?? "").split("?")[0] ?? "";
  return `${request.method} ${path}`;
}
