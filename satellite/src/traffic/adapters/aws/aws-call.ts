import { isRecord } from "@sentra/common";
import type { RouterAdapterContext } from "../router-adapter.js";
import { type AwsCall, awsError } from "./aws-error.js";

/**
 * Runs one AWS SDK call (its own retries included), logs it — operation, resource, outcome, the
 * SDK's attempt count, duration; never credentials, request or response bodies — and translates a
 * failure with {@link awsError}.
 */
export async function callAws<T>(context: RouterAdapterContext, call: AwsCall, send: () => Promise<T>): Promise<T> {
  const startedMs = performance.now();
  try {
    const output = await send();
    context.log("aws call", {
      ...call,
      outcome: "ok",
      attempts: attemptsOf(output),
      durationMs: Math.round(performance.now() - startedMs),
    });
    return output;
  } catch (error: unknown) {
    const failure = awsError(error, call);
    context.log("aws call failed", {
      ...call,
      outcome: failure.code,
      awsError: failure.details?.awsError,
      attempts: failure.details?.attempts,
      durationMs: Math.round(performance.now() - startedMs),
    });
    throw failure;
  }
}

function attemptsOf(output: unknown): unknown {
  return isRecord(output) && isRecord(output.$metadata) ? output.$metadata.attempts : undefined;
}
