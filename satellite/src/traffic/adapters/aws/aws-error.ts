import { type ErrorCodeName, isRecord, SentraError } from "@sentra/common";

/** The AWS call an error came from, for its message (names, never credentials or bodies). */
export interface AwsCall {
  /** `aws-lambda`, `aws-alb`. */
  readonly adapter: string;
  /** The API operation (`UpdateAlias`, `ModifyListener`). */
  readonly operation: string;
  /** What it was about: a function and alias, an ARN. */
  readonly resource: string;
}

/** AWS error codes (the SDK error's `name`) and the Sentra code each becomes. */
const CODE_BY_AWS_ERROR: Readonly<Record<string, ErrorCodeName>> = {
  ResourceNotFoundException: "NOT_FOUND",
  ListenerNotFound: "NOT_FOUND",
  RuleNotFound: "NOT_FOUND",
  TargetGroupNotFound: "NOT_FOUND",
  LoadBalancerNotFound: "NOT_FOUND",
  NotFound: "NOT_FOUND",
  // ELBv2's SDK names its modelled errors with an Exception suffix (the wire code has none).
  ListenerNotFoundException: "NOT_FOUND",
  RuleNotFoundException: "NOT_FOUND",
  TargetGroupNotFoundException: "NOT_FOUND",
  LoadBalancerNotFoundException: "NOT_FOUND",
  InvalidConfigurationRequestException: "FAILED_PRECONDITION",
  OperationNotPermittedException: "FAILED_PRECONDITION",
  TooManyTargetGroupsException: "FAILED_PRECONDITION",
  TargetGroupAssociationLimitException: "FAILED_PRECONDITION",
  AccessDeniedException: "PERMISSION_DENIED",
  AccessDenied: "PERMISSION_DENIED",
  UnauthorizedOperation: "PERMISSION_DENIED",
  MissingAuthenticationTokenException: "UNAUTHENTICATED",
  MissingAuthenticationToken: "UNAUTHENTICATED",
  UnrecognizedClientException: "UNAUTHENTICATED",
  InvalidSignatureException: "UNAUTHENTICATED",
  InvalidClientTokenId: "UNAUTHENTICATED",
  SignatureDoesNotMatch: "UNAUTHENTICATED",
  ExpiredTokenException: "UNAUTHENTICATED",
  ExpiredToken: "UNAUTHENTICATED",
  CredentialsProviderError: "UNAUTHENTICATED",
  TooManyRequestsException: "RESOURCE_EXHAUSTED",
  ThrottlingException: "RESOURCE_EXHAUSTED",
  Throttling: "RESOURCE_EXHAUSTED",
  PreconditionFailedException: "ABORTED",
  ResourceConflictException: "ABORTED",
  InvalidParameterValueException: "FAILED_PRECONDITION",
  ValidationException: "FAILED_PRECONDITION",
  ValidationError: "FAILED_PRECONDITION",
  InvalidConfigurationRequest: "FAILED_PRECONDITION",
  OperationNotPermitted: "FAILED_PRECONDITION",
  TooManyTargetGroups: "FAILED_PRECONDITION",
  TargetGroupAssociationLimit: "FAILED_PRECONDITION",
  ServiceException: "UNAVAILABLE",
  ServiceUnavailableException: "UNAVAILABLE",
  InternalFailure: "UNAVAILABLE",
  ServiceUnavailable: "UNAVAILABLE",
  TimeoutError: "DEADLINE_EXCEEDED",
  RequestTimeout: "DEADLINE_EXCEEDED",
};

/** What to do about each kind of failure, appended to the message. */
const ADVICE: Partial<Record<ErrorCodeName, string>> = {
  NOT_FOUND: "check the policy's router target (name, ARN, region)",
  PERMISSION_DENIED: "grant the satellite's IAM role the action (docs/adapters.md lists the permissions)",
  UNAUTHENTICATED:
    "the SDK's default credential chain found no valid credentials (IRSA web identity, environment, profile, instance role)",
  RESOURCE_EXHAUSTED: "throttled by AWS after the SDK's retries; it is retried at the next decision",
  ABORTED: "another writer changed the resource at the same time",
  UNAVAILABLE: "AWS (or the endpoint override) is unavailable; it is retried at the next decision",
};

/**
 * Translates whatever an AWS SDK call threw into a SentraError naming the adapter, operation,
 * resource and AWS error code, with the AWS message, request id and attempts in the details. The
 * original stays as `cause`. Only the error's code, message and metadata are read: an SDK error
 * never carries the credentials it was signed with.
 */
export function awsError(error: unknown, call: AwsCall): SentraError {
  if (error instanceof SentraError) return error;
  const name = error instanceof Error ? error.name : "Error";
  const metadata = isRecord(error) && isRecord(error.$metadata) ? error.$metadata : {};
  const status = typeof metadata.httpStatusCode === "number" ? metadata.httpStatusCode : undefined;
  const networkCode = isRecord(error) && typeof error.code === "string" ? error.code : undefined;
  const code: ErrorCodeName =
    CODE_BY_AWS_ERROR[name] ??
    (networkCode !== undefined && /^E[A-Z]+$/.test(networkCode)
      ? "UNAVAILABLE"
      : /region is missing/i.test(error instanceof Error ? error.message : "")
        ? "FAILED_PRECONDITION"
        : status === undefined
          ? "UNKNOWN"
          : status >= 500
            ? "UNAVAILABLE"
            : status === 429
              ? "RESOURCE_EXHAUSTED"
              : status === 403
                ? "PERMISSION_DENIED"
                : status === 404
                  ? "NOT_FOUND"
                  : "FAILED_PRECONDITION");
  const awsMessage = error instanceof Error ? error.message : String(error);
  const advice =
    code === "FAILED_PRECONDITION" && /region is missing/i.test(awsMessage)
      ? "set the target's region (or its ARN's), or AWS_REGION"
      : ADVICE[code];
  const label = networkCode ?? name;
  return new SentraError(
    code,
    `${call.adapter} ${call.operation} ${call.resource}: ${label}: ${awsMessage}${advice ? ` (${advice})` : ""}`,
    {
      cause: error,
      details: {
        adapter: call.adapter,
        operation: call.operation,
        resource: call.resource,
        awsError: label,
        ...(status === undefined ? {} : { httpStatus: status }),
        ...(typeof metadata.requestId === "string" ? { requestId: metadata.requestId } : {}),
        ...(typeof metadata.attempts === "number" ? { attempts: metadata.attempts } : {}),
      },
    },
  );
}
