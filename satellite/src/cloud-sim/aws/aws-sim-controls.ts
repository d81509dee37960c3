import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { FailureInjector, type RequestFailure } from "../../cluster/sim/failure-injector.js";

/** Account id of every simulated resource's ARN. */
export const SIM_AWS_ACCOUNT_ID = "123456789012";
/** Region of the simulated endpoints when none is configured. */
export const SIM_AWS_DEFAULT_REGION = "eu-west-1";
/** Path of a simulated AWS endpoint's Prometheus metrics (no AWS API uses it). */
export const AWS_SIM_METRICS_PATH = "/sentra-sim/v1/metrics";

/**
 * The run-time controls every simulated AWS endpoint shares: injected failures (the simulated
 * cluster's {@link FailureInjector}, matched against an *operation key* instead of a path), and
 * IAM denials.
 *
 * An operation key is the operation's name, flags that say how it was called, and the resource, so
 * a rule can fail one style of call on one resource and not another: Lambda
 * `UpdateAlias conditional checkout:live` (a RevisionId was sent), `UpdateAlias checkout:live`
 * (unconditional), `GetFunction checkout`; ELBv2 `ModifyListener weighted <listener ARN>` (a
 * forward action naming more than one target group), `ModifyListener <listener ARN>`,
 * `DescribeRules <rule ARN>`. A rule's `pathPattern` is a regular expression over that key
 * (`^UpdateAlias conditional checkout:`); its `status` picks the real error the endpoint
 * answers with: 429 throttling, 403 access denied, 404 not found, 409 conflict, 412 precondition
 * failed, 500 internal failure, 503 service unavailable.
 */
export class AwsSimControls {
  /** Injected failures: `failures.failRequests({ pathPattern: "^UpdateAlias", status: 429, times: 2 })`. */
  readonly failures = new FailureInjector();
  readonly #denied = new Set<string>();

  /** Makes the caller lack these IAM actions (`lambda:UpdateAlias`), as a missing policy statement would. */
  deny(...actions: string[]): void {
    for (const action of actions) this.#denied.add(action);
  }

  /** Grants every action again and removes every injected failure. */
  reset(): void {
    this.#denied.clear();
    this.failures.clear();
  }

  /** True when the caller lacks `action`. */
  isDenied(action: string): boolean {
    return this.#denied.has(action);
  }

  /** The injected failure for this call, if any (consumes one use of the rule). */
  takeFailure(operationKey: string): RequestFailure | undefined {
    return this.failures.take("POST", operationKey);
  }
}

/**
 * The access key id of a SigV4-signed request (`AWS4-HMAC-SHA256 Credential=AKID/…`), or undefined
 * when it carries no signature. The signature itself is not verified: any key the SDK signs with is
 * accepted, and only the key id (never the secret, never logged) names the caller.
 */
export function signedAccessKeyId(request: IncomingMessage): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== "string" || !header.startsWith("AWS4-HMAC-SHA256 ")) return undefined;
  const match = /Credential=([^/,\s]+)\//.exec(header);
  return match?.[1];
}

/** The caller's identity as IAM's messages name it. */
export function callerArn(accessKeyId: string): string {
  return `arn:aws:sts::${SIM_AWS_ACCOUNT_ID}:assumed-role/sentra-satellite/${accessKeyId.slice(0, 8)}`;
}

/** IAM's message for a call the caller lacks `action` for (`lambda:UpdateAlias`) on `resource`. */
export function accessDeniedMessage(accessKeyId: string, action: string, resource: string): string {
  return `User: ${callerArn(accessKeyId)} is not authorized to perform: ${action} on resource: ${resource} because no identity-based policy allows the ${action} action`;
}

/** A request id as AWS returns it (`x-amzn-RequestId`). */
export function requestId(): string {
  return randomUUID();
}

/** Reads a request's whole body as text. */
export async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
