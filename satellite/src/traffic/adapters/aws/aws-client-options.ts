import type { RouterAdapterContext } from "../router-adapter.js";

/**
 * @default 4 — attempts of one AWS call, the first included. The SDK's standard retry mode retries
 * throttling (TooManyRequestsException, Throttling) with exponential backoff and jitter from a
 * 500 ms base, and transient 5xx / network errors from a 100 ms base, so four attempts ride out a
 * few seconds of throttling without holding a rollback much longer than one decision interval.
 */
export const AWS_MAX_ATTEMPTS = 4;
/** @default 2000 — time to open a connection to the AWS endpoint, in ms. */
export const AWS_CONNECTION_TIMEOUT_MS = 2_000;
/** @default 5000 — time for one AWS request to answer, in ms (a hung call must not hold a rollback). */
export const AWS_REQUEST_TIMEOUT_MS = 5_000;

/** What every AWS SDK client of the adapters is built with. */
export interface AwsClientOptions {
  readonly region?: string;
  readonly endpoint?: string;
  readonly maxAttempts: number;
  readonly retryMode: "standard";
  readonly requestHandler: { readonly connectionTimeout: number; readonly requestTimeout: number };
}

/**
 * The SDK client configuration of an adapter: its region (the target's, else the SDK's own chain:
 * `AWS_REGION`, the profile), the endpoint override from the context, the retry policy above.
 * Credentials are deliberately absent: the SDK's default chain finds them (environment, web
 * identity token — IRSA / EKS Pod Identity —, shared profile, container or instance metadata), and
 * no Sentra code ever holds or logs them.
 */
export function awsClientOptions(region: string | undefined, context: RouterAdapterContext): AwsClientOptions {
  return {
    ...(region === undefined ? {} : { region }),
    ...(context.endpoint === undefined ? {} : { endpoint: context.endpoint }),
    maxAttempts: AWS_MAX_ATTEMPTS,
    retryMode: "standard",
    requestHandler: { connectionTimeout: AWS_CONNECTION_TIMEOUT_MS, requestTimeout: AWS_REQUEST_TIMEOUT_MS },
  };
}

/** The region of an ARN (`arn:aws:lambda:eu-west-1:…`), or undefined for a name. */
export function regionOfArn(value: string): string | undefined {
  const parts = value.split(":");
  return parts[0] === "arn" && parts.length >= 6 && parts[3] !== "" ? parts[3] : undefined;
}
