/** The `details` block of a Kubernetes `Status`. */
export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: { reason?: string; message?: string; field?: string }[];
  retryAfterSeconds?: number;
}

/** A Kubernetes `Status` object (`kind: Status, apiVersion: v1`). */
export interface KubeStatus {
  kind: "Status";
  apiVersion: "v1";
  metadata: Record<string, never>;
  status: "Success" | "Failure";
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

/** Reason strings the API server uses for the HTTP codes we answer with. */
const REASON_BY_CODE: Readonly<Record<number, string>> = {
  400: "BadRequest",
  401: "Unauthorized",
  403: "Forbidden",
  404: "NotFound",
  405: "MethodNotAllowed",
  406: "NotAcceptable",
  409: "Conflict",
  410: "Gone",
  413: "RequestEntityTooLarge",
  415: "UnsupportedMediaType",
  422: "Invalid",
  429: "TooManyRequests",
  500: "InternalError",
  503: "ServiceUnavailable",
  504: "Timeout",
};

/** The reason Kubernetes reports for an HTTP code, `"Unknown"` for codes it has no name for. */
export function reasonForCode(code: number): string {
  return REASON_BY_CODE[code] ?? "Unknown";
}

/**
 * An API failure that the HTTP layer turns into a `Status` body. The one error type of the
 * simulated API server: every verb throws it, the router translates it once.
 */
export class StatusError extends Error {
  override readonly name = "StatusError";

  constructor(
    readonly code: number,
    message: string,
    readonly reason: string = reasonForCode(code),
    readonly details?: StatusDetails,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }

  /** The wire form of this error. */
  toStatus(): KubeStatus {
    return failureStatus(this.code, this.message, this.reason, this.details);
  }
}

/** Builds a failure `Status`. */
export function failureStatus(code: number, message: string, reason = reasonForCode(code), details?: StatusDetails) {
  const status: KubeStatus = {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message,
    reason,
    code,
  };
  if (details) status.details = details;
  return status;
}

/** `resource.group`, as Kubernetes names a resource in messages (`deployments.apps`). */
export function qualifiedResource(resource: string, group: string): string {
  return group ? `${resource}.${group}` : resource;
}

/** 404 for a missing object. */
export function notFound(resource: string, group: string, name: string): StatusError {
  return new StatusError(404, `${qualifiedResource(resource, group)} "${name}" not found`, "NotFound", {
    name,
    group,
    kind: resource,
  });
}

/** 409 for a create whose name is taken. */
export function alreadyExists(resource: string, group: string, name: string): StatusError {
  return new StatusError(409, `${qualifiedResource(resource, group)} "${name}" already exists`, "AlreadyExists", {
    name,
    group,
    kind: resource,
  });
}

/** 409 for a write that carried a stale `metadata.resourceVersion`. */
export function conflict(resource: string, group: string, name: string): StatusError {
  return new StatusError(
    409,
    `Operation cannot be fulfilled on ${qualifiedResource(resource, group)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    "Conflict",
    { name, group, kind: resource },
  );
}

/** 400 for a body or parameter the server cannot parse. */
export function badRequest(message: string, cause?: unknown): StatusError {
  return new StatusError(400, message, "BadRequest", undefined, cause === undefined ? undefined : { cause });
}

/** 422 for a well-formed object that fails validation. */
export function invalid(kind: string, group: string, name: string, field: string, message: string): StatusError {
  const displayName = name || "<unnamed>";
  return new StatusError(
    422,
    `${qualifiedResource(kind, group)} "${displayName}" is invalid: ${field}: ${message}`,
    "Invalid",
    { name: displayName, group, kind, causes: [{ reason: "FieldValueInvalid", message, field }] },
  );
}
