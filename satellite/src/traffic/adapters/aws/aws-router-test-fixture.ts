import { SentraError } from "@sentra/common";
import { expect } from "vitest";

// Test support, not shipped: satellite/tsconfig.json leaves *-test-fixture.ts out of the build.

/** Rejects with the SentraError `promise` throws (fails the test when it resolves or throws anything else). */
export async function sentraFailure(promise: Promise<unknown>): Promise<SentraError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(SentraError);
  return error as SentraError;
}

/** Requests per version in the Prometheus text of a simulated AWS endpoint's traffic (its `metrics()`). */
export function requestsByVersion(text: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const match of text.matchAll(/^http_requests_total\{([^}]*)\} (\d+)/gm)) {
    const version = /version="([^"]*)"/.exec(match[1] ?? "")?.[1] ?? "";
    counts[version] = (counts[version] ?? 0) + Number(match[2]);
  }
  return counts;
}
