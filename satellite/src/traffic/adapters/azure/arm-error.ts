import { type ErrorCodeName, SentraError } from "@sentra/common";

/** ARM error codes whose meaning is not their HTTP status's. */
const CODE_OF_ARM_CODE: Record<string, ErrorCodeName> = {
  ResourceNotFound: "NOT_FOUND",
  ResourceGroupNotFound: "NOT_FOUND",
  SubscriptionNotFound: "NOT_FOUND",
  AuthorizationFailed: "PERMISSION_DENIED",
  LinkedAuthorizationFailed: "PERMISSION_DENIED",
  InvalidAuthenticationToken: "UNAUTHENTICATED",
  ExpiredAuthenticationToken: "UNAUTHENTICATED",
  Conflict: "ABORTED",
  TooManyRequests: "RESOURCE_EXHAUSTED",
};

const CODE_OF_HTTP_STATUS: Record<number, ErrorCodeName> = {
  400: "FAILED_PRECONDITION",
  401: "UNAUTHENTICATED",
  403: "PERMISSION_DENIED",
  404: "NOT_FOUND",
  409: "ABORTED",
  412: "ABORTED",
  429: "RESOURCE_EXHAUSTED",
  500: "UNAVAILABLE",
  502: "UNAVAILABLE",
  503: "UNAVAILABLE",
  504: "DEADLINE_EXCEEDED",
};

/**
 * Translates what an Azure SDK client throws (a `RestError` with `statusCode` and the ARM `code`
 * of `{ error: { code, message } }`, or a credential failure) into a SentraError. `what` names the
 * call and resource; `action` the ARM permission the call needs, for the access-denied hint.
 */
export function armError(error: unknown, what: string, action: string): SentraError {
  if (error instanceof SentraError) return error;
  const fields = (error ?? {}) as { name?: unknown; statusCode?: unknown; code?: unknown; message?: unknown };
  const message = typeof fields.message === "string" ? fields.message : String(error);
  if (fields.name === "CredentialUnavailableError" || fields.name === "AuthenticationError") {
    return new SentraError(
      "UNAUTHENTICATED",
      `${what}: no Azure credential (${fields.name}): give the satellite a workload identity or managed identity (docs/adapters.md)`,
      { cause: error },
    );
  }
  const armCode = typeof fields.code === "string" ? fields.code : undefined;
  const status = typeof fields.statusCode === "number" ? fields.statusCode : undefined;
  const code =
    (armCode && CODE_OF_ARM_CODE[armCode]) ||
    (status === undefined ? "UNAVAILABLE" : CODE_OF_HTTP_STATUS[status]) ||
    "UNKNOWN";
  const hint = code === "PERMISSION_DENIED" ? ` (the satellite's identity needs ${action}: docs/adapters.md)` : "";
  return new SentraError(code, `${what}: ${armCode ?? status ?? "error"}: ${message}${hint}`, { cause: error });
}
