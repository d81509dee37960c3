import { type ArgumentsHost, Catch, HttpException, type HttpServer } from "@nestjs/common";
import { BaseExceptionFilter } from "@nestjs/core";
import { type ErrorCodeName, type Logger, SentraError } from "@sentra/common";

/** REST API routes answer errors in the one JSON shape; other routes (/healthz, /metrics) keep Nest's. */
const API_PREFIX = "/api/";

/** Nest's own HTTP exceptions on API routes (bad JSON body, unknown route) in the error vocabulary. */
const CODE_BY_HTTP_STATUS: Readonly<Record<number, ErrorCodeName>> = {
  400: "INVALID_ARGUMENT",
  401: "UNAUTHENTICATED",
  403: "PERMISSION_DENIED",
  404: "NOT_FOUND",
  409: "ABORTED",
  412: "FAILED_PRECONDITION",
  413: "RESOURCE_EXHAUSTED",
  415: "INVALID_ARGUMENT",
  429: "RESOURCE_EXHAUSTED",
  501: "UNIMPLEMENTED",
  503: "UNAVAILABLE",
};

/** The part of Express's request and response the filter uses. */
interface HttpRequest {
  method?: string;
  url?: string;
}
interface HttpResponse {
  status(code: number): { json(body: unknown): void };
}

/**
 * The one place errors become HTTP responses. A `SentraError` answers with its HTTP status
 * (FAILED_PRECONDITION → 412, INVALID_ARGUMENT → 400, NOT_FOUND → 404 …) and the body
 * `{ error: { code, message, field?, details? } }`. On `/api/` routes Nest's own exceptions (a body
 * that is not JSON, an unknown route) get the same shape and their status; anything unexpected is
 * a 500 with the same shape and no internals (the error is logged). Other routes keep Nest's
 * default handling (e.g. the /healthz 503 body).
 */
@Catch()
export class SentraErrorFilter extends BaseExceptionFilter {
  constructor(
    private readonly logger: Logger,
    /** The HTTP adapter, for Nest's default handling (`app.getHttpAdapter()`). */
    applicationRef: HttpServer,
  ) {
    super(applicationRef);
  }

  override catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== "http") {
      super.catch(exception, host);
      return;
    }
    const request = host.switchToHttp().getRequest<HttpRequest>();
    const onApi = (request.url ?? "").startsWith(API_PREFIX);
    if (!(exception instanceof SentraError) && !onApi) {
      super.catch(exception, host);
      return;
    }
    let status: number;
    let body: ReturnType<SentraError["toJSON"]>;
    if (exception instanceof SentraError) {
      status = exception.httpStatus;
      body = exception.toJSON();
    } else if (exception instanceof HttpException) {
      status = exception.getStatus();
      const code = CODE_BY_HTTP_STATUS[status] ?? (status >= 500 ? "INTERNAL" : "INVALID_ARGUMENT");
      // Express's JSON parser is the only source of a 400 here: the body is the field at fault.
      body = { code, message: exception.message, ...(status === 400 ? { field: "(body)" } : {}) };
    } else if (isBodyParserError(exception)) {
      // Express's body parser refusing the request body (too large, bad charset, cut short):
      // the client's mistake, with a message written for clients.
      status = exception.status;
      body = { code: CODE_BY_HTTP_STATUS[status] ?? "INVALID_ARGUMENT", message: exception.message, field: "(body)" };
    } else {
      this.logger.error(
        {
          err: exception instanceof Error ? exception.stack : String(exception),
          method: request.method,
          url: request.url,
        },
        "unhandled error in an HTTP handler",
      );
      status = 500;
      body = { code: "INTERNAL", message: "internal error; see the coordinator log" };
    }
    host.switchToHttp().getResponse<HttpResponse>().status(status).json({ error: body });
  }
}

/** An error from Express's body parser (http-errors): a 4xx status and a message safe to show. */
function isBodyParserError(error: unknown): error is { status: number; message: string } {
  if (typeof error !== "object" || error === null) return false;
  const { status, expose, type } = error as { status?: unknown; expose?: unknown; type?: unknown };
  return typeof status === "number" && status >= 400 && status < 500 && expose === true && typeof type === "string";
}
