import {
  DescribeSpotPriceHistoryCommand,
  type DescribeSpotPriceHistoryCommandInput,
  EC2Client,
  type EC2ClientConfig,
} from "@aws-sdk/client-ec2";
import { SentraError } from "@sentra/common";
import {
  type FetchedPrice,
  type LivePriceFetcher,
  type ThrottleRetryOptions,
  throttledError,
  withThrottleRetry,
} from "./live-price-fetcher.js";

/** The product whose spot price a Linux node pays. */
export const AWS_SPOT_PRODUCT_DESCRIPTION = "Linux/UNIX";
/** @default 1000 — the largest page DescribeSpotPriceHistory serves. */
export const AWS_SPOT_PAGE_SIZE = 1_000;
/** @default 10000 — deadline of one DescribeSpotPriceHistory call. */
export const DEFAULT_PRICE_API_TIMEOUT_MS = 10_000;

/** EC2 error codes that mean "slow down" (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/throttling.html). */
const THROTTLE_CODES = new Set([
  "RequestLimitExceeded",
  "Throttling",
  "ThrottlingException",
  "TooManyRequestsException",
]);
const AUTH_CODES = new Set([
  "AuthFailure",
  "InvalidClientTokenId",
  "SignatureDoesNotMatch",
  "ExpiredToken",
  "CredentialsProviderError",
]);

export interface AwsSpotPriceFetcherOptions {
  region: string;
  instanceTypes: readonly string[];
  /** An EC2 endpoint (a VPC interface endpoint, or a test server). @default the SDK's regional endpoint */
  endpoint?: string;
  /** @default the SDK's default chain (IRSA / EKS Pod Identity in a pod, env, profile, IMDS) */
  credentials?: EC2ClientConfig["credentials"];
  /** @default {@link DEFAULT_PRICE_API_TIMEOUT_MS} */
  timeoutMs?: number;
  /** @default {@link AWS_SPOT_PAGE_SIZE} */
  pageSize?: number;
  throttle?: ThrottleRetryOptions;
  /** The instant prices are asked for. @default Date.now */
  now?: () => Date;
}

/**
 * Live AWS spot prices: EC2 `DescribeSpotPriceHistory` for the region's instance types, product
 * `Linux/UNIX`, with `StartTime = EndTime = now` (the price in force in each zone), every page
 * (`NextToken`) read, and the newest row kept per (zone, instance type). The SDK's own retries are
 * off (`maxAttempts: 1`) so throttling (`RequestLimitExceeded`) is retried, counted and backed off
 * here. Needs `ec2:DescribeSpotPriceHistory` (docs/configuration.md, "Live spot prices").
 */
export function createAwsSpotPriceFetcher(options: AwsSpotPriceFetcherOptions): LivePriceFetcher {
  const client = new EC2Client({
    region: options.region,
    maxAttempts: 1,
    ...(options.endpoint !== undefined ? { endpoint: options.endpoint } : {}),
    ...(options.credentials !== undefined ? { credentials: options.credentials } : {}),
  });
  const timeoutMs = options.timeoutMs ?? DEFAULT_PRICE_API_TIMEOUT_MS;
  const now = options.now ?? (() => new Date());
  const where = `EC2 DescribeSpotPriceHistory in ${options.region}${options.endpoint ? ` at ${options.endpoint}` : ""}`;

  return {
    api: "aws",
    async fetch(signal) {
      const at = now();
      const newest = new Map<string, { price: FetchedPrice; timestampMs: number }>();
      let nextToken: string | undefined;
      let pages = 0;
      do {
        const token = nextToken;
        const page = await withThrottleRetry(
          "aws",
          async () => {
            try {
              return await client.send(
                new DescribeSpotPriceHistoryCommand({
                  InstanceTypes: [...options.instanceTypes] as DescribeSpotPriceHistoryCommandInput["InstanceTypes"],
                  ProductDescriptions: [AWS_SPOT_PRODUCT_DESCRIPTION],
                  StartTime: at,
                  EndTime: at,
                  MaxResults: options.pageSize ?? AWS_SPOT_PAGE_SIZE,
                  ...(token !== undefined ? { NextToken: token } : {}),
                }),
                { abortSignal: combineSignals(signal, timeoutMs) },
              );
            } catch (error) {
              throw translateAwsError(error, where, timeoutMs);
            }
          },
          options.throttle,
          signal,
        );
        for (const row of page.SpotPriceHistory ?? []) {
          const usdPerHour = Number(row.SpotPrice);
          if (!row.InstanceType || !row.AvailabilityZone || !(usdPerHour > 0)) continue;
          if (row.ProductDescription !== undefined && row.ProductDescription !== AWS_SPOT_PRODUCT_DESCRIPTION) continue;
          const key = `${row.InstanceType}\u0000${row.AvailabilityZone}`;
          const timestampMs = row.Timestamp?.getTime() ?? 0;
          const seen = newest.get(key);
          if (seen === undefined || timestampMs > seen.timestampMs) {
            newest.set(key, {
              price: { zone: row.AvailabilityZone, instanceType: row.InstanceType, usdPerHour },
              timestampMs,
            });
          }
        }
        nextToken = page.NextToken || undefined;
        pages++;
        if (pages > 1_000) throw new SentraError("INTERNAL", `${where}: more than 1000 pages; NextToken never ends`);
      } while (nextToken !== undefined);
      return [...newest.values()].map((entry) => entry.price);
    },
    close() {
      client.destroy();
    },
  };
}

/** An SDK error as Sentra's vocabulary, naming the call and what to do. */
function translateAwsError(error: unknown, where: string, timeoutMs: number): SentraError {
  const name = error instanceof Error ? error.name : "";
  const message = error instanceof Error ? error.message : String(error);
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if (THROTTLE_CODES.has(name) || status === 429)
    return throttledError("aws", `${where}: ${name}: ${message}`, undefined, error);
  if (name === "AbortError" || name === "TimeoutError") {
    return new SentraError("UNAVAILABLE", `${where}: no answer within ${timeoutMs} ms`, { cause: error });
  }
  if (AUTH_CODES.has(name)) {
    return new SentraError(
      "UNAUTHENTICATED",
      `${where}: ${name}: ${message} — give the satellite AWS credentials (on EKS: IRSA or Pod Identity on its service account)`,
      { cause: error },
    );
  }
  if (name === "UnauthorizedOperation" || status === 403) {
    return new SentraError(
      "PERMISSION_DENIED",
      `${where}: ${name}: ${message} — allow ec2:DescribeSpotPriceHistory to the satellite's IAM role`,
      { cause: error },
    );
  }
  if (status === undefined || status >= 500) {
    return new SentraError("UNAVAILABLE", `${where}: ${name || "error"}: ${message}`, { cause: error });
  }
  return new SentraError("INTERNAL", `${where}: ${name || "error"} (HTTP ${status}): ${message}`, { cause: error });
}

/** The caller's signal combined with a per-call deadline. */
export function combineSignals(signal: AbortSignal | undefined, timeoutMs: number): AbortSignal {
  const timeout = AbortSignal.timeout(timeoutMs);
  return signal === undefined ? timeout : AbortSignal.any([signal, timeout]);
}
