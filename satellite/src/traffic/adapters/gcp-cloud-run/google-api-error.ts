import { ErrorCode, type ErrorCodeName, errorCodeName, SentraError } from "@sentra/common";

/** HTTP statuses of Google APIs as canonical codes, for errors that carry only the HTTP status. */
const CODE_OF_HTTP_STATUS: Record<number, ErrorCodeName> = {
  400: "FAILED_PRECONDITION",
  401: "UNAUTHENTICATED",
  403: "PERMISSION_DENIED",
  404: "NOT_FOUND",
  409: "ABORTED",
  429: "RESOURCE_EXHAUSTED",
  499: "CANCELLED",
  500: "INTERNAL",
  501: "UNIMPLEMENTED",
  503: "UNAVAILABLE",
  504: "DEADLINE_EXCEEDED",
};

interface RpcStatusJson {
  error?: { code?: number; message?: string; status?: string };
}

/**
 * Translates what the Cloud Run client throws into a SentraError with the API's canonical code:
 * a `GoogleError` (numeric gRPC code), or the HTTP error of the REST transport, whose message is the
 * `google.rpc.Status` JSON (`{ error: { code, message, status } }`). `what` says which call failed.
 */
export function googleApiError(error: unknown, what: string): SentraError {
  if (error instanceof SentraError) return error;
  const fields = (error ?? {}) as { code?: unknown; status?: unknown; message?: unknown };
  const rawMessage = typeof fields.message === "string" ? fields.message : String(error);
  const status = parseStatus(rawMessage);
  let code: ErrorCodeName | undefined;
  if (status?.status !== undefined && isCodeName(status.status)) code = status.status;
  else if (typeof fields.code === "number" && fields.code > 0 && fields.code < 100) code = errorCodeName(fields.code);
  else {
    const http = typeof fields.status === "number" ? fields.status : typeof fields.code === "number" ? fields.code : 0;
    code = CODE_OF_HTTP_STATUS[http];
  }
  const message = status?.message ?? rawMessage;
  return new SentraError(code ?? "UNAVAILABLE", `${what}: ${code ?? "error"}: ${message}${hint(code)}`, {
    cause: error,
  });
}

function parseStatus(message: string): RpcStatusJson["error"] | undefined {
  const start = message.indexOf("{");
  if (start < 0) return undefined;
  try {
    return (JSON.parse(message.slice(start)) as RpcStatusJson).error;
  } catch {
    return undefined;
  }
}

function isCodeName(value: string): value is ErrorCodeName {
  return Object.hasOwn(ErrorCode, value);
}

function hint(code: ErrorCodeName | undefined): string {
  if (code === "PERMISSION_DENIED") {
    return " (the satellite's identity needs run.services.get and run.services.update on the service: docs/adapters.md)";
  }
  if (code === "UNAUTHENTICATED") {
    return " (no valid Google credentials: Workload Identity, GOOGLE_APPLICATION_CREDENTIALS or the metadata server)";
  }
  return "";
}
