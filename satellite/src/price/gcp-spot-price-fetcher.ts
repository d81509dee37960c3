import { CloudCatalogClient, type protos } from "@google-cloud/billing";
import { SentraError } from "@sentra/common";
import { DEFAULT_PRICE_API_TIMEOUT_MS } from "./aws-spot-price-fetcher.js";
import { findInstanceType, instanceFamily } from "./instance-types.js";
import {
  type FetchedPrice,
  type LivePriceFetcher,
  type ThrottleRetryOptions,
  throttledError,
  withThrottleRetry,
} from "./live-price-fetcher.js";

type Sku = protos.google.cloud.billing.v1.ISku;

/** The Cloud Billing Catalog id of the Compute Engine service. */
export const GCP_COMPUTE_ENGINE_SERVICE = "services/6F81-5844-456A";
/** @default 5000 — the largest page services.skus.list serves. */
export const GCP_SKU_PAGE_SIZE = 5_000;

/** gRPC status codes as google-gax reports them (REST fallback included). */
const GRPC_RESOURCE_EXHAUSTED = 8;
const GRPC_PERMISSION_DENIED = 7;
const GRPC_UNAUTHENTICATED = 16;
const GRPC_UNAVAILABLE = 14;
const GRPC_DEADLINE_EXCEEDED = 4;

export interface GcpSpotPriceFetcherOptions {
  /** e.g. "europe-west1". */
  region: string;
  /** Machine types, e.g. "n2-standard-4"; their shapes must be known (INSTANCE_TYPES). */
  instanceTypes: readonly string[];
  /** Host of the Cloud Billing API (a Private Service Connect endpoint, or a test server). @default cloudbilling.googleapis.com */
  apiEndpoint?: string;
  /** @default 443 */
  port?: number;
  /** "http" only for a local test server. @default "https" */
  protocol?: "http" | "https";
  /** REST transport instead of gRPC. @default true (one HTTPS connection, no gRPC channel to keep) */
  fallback?: boolean;
  /** An API key (the Catalog API is public); absent: Application Default Credentials (GKE Workload Identity). */
  apiKey?: string;
  /** @default {@link DEFAULT_PRICE_API_TIMEOUT_MS} */
  timeoutMs?: number;
  /** @default {@link GCP_SKU_PAGE_SIZE} */
  pageSize?: number;
  throttle?: ThrottleRetryOptions;
}

/** Per-vCPU-hour and per-GiB-hour spot prices of one machine family in one region. */
interface FamilyRates {
  coreUsdPerHour?: number;
  ramUsdPerGibHour?: number;
}

/**
 * Live GCP spot prices from the Cloud Billing Catalog (`services.skus.list` of Compute Engine,
 * every page): the Spot (preemptible) "Instance Core" and "Instance Ram" SKUs of each machine
 * family offered in the region (`serviceRegions`, `category.usageType = Preemptible`), first
 * tier of `pricingInfo[0].pricingExpression.tieredRates`, `unitPrice` = units + nanos / 1e9 USD
 * per vCPU-hour (`h`) and per GiB-hour (`GiBy.h`). A machine type's price is
 * `vCPUs × core + GiB × ram`, in USD per instance-hour like every other source.
 */
export function createGcpSpotPriceFetcher(options: GcpSpotPriceFetcherOptions): LivePriceFetcher {
  for (const type of options.instanceTypes) {
    if (findInstanceType("gcp", type) === undefined) {
      throw SentraError.invalidArgument("instanceTypes", `unknown gcp machine type "${type}" (no shape known)`);
    }
  }
  const client = new CloudCatalogClient({
    fallback: options.fallback ?? true,
    ...(options.apiEndpoint !== undefined ? { apiEndpoint: options.apiEndpoint } : {}),
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(options.protocol !== undefined ? { protocol: options.protocol } : {}),
    ...(options.apiKey !== undefined ? { apiKey: options.apiKey } : {}),
  });
  const timeoutMs = options.timeoutMs ?? DEFAULT_PRICE_API_TIMEOUT_MS;
  const families = new Set(options.instanceTypes.map((type) => familyToken(type)));
  const where = `Cloud Billing Catalog ${options.apiEndpoint ?? "cloudbilling.googleapis.com"} (${GCP_COMPUTE_ENGINE_SERVICE})`;

  return {
    api: "gcp",
    async fetch(signal) {
      const rates = new Map<string, FamilyRates>();
      let request: protos.google.cloud.billing.v1.IListSkusRequest | null = {
        parent: GCP_COMPUTE_ENGINE_SERVICE,
        currencyCode: "USD",
        pageSize: options.pageSize ?? GCP_SKU_PAGE_SIZE,
      };
      let pages = 0;
      while (request !== null) {
        const pageRequest: protos.google.cloud.billing.v1.IListSkusRequest = request;
        const [skus, next] = await withThrottleRetry(
          "gcp",
          async () => {
            if (signal?.aborted) throw signal.reason;
            try {
              return await client.listSkus(pageRequest, { autoPaginate: false, timeout: timeoutMs, maxRetries: 0 });
            } catch (error) {
              throw translateGcpError(error, where, timeoutMs);
            }
          },
          options.throttle,
          signal,
        );
        for (const sku of skus) collectRate(sku, options.region, families, rates);
        request = next?.pageToken ? next : null;
        if (++pages > 1_000) throw new SentraError("INTERNAL", `${where}: more than 1000 pages`);
      }
      const prices: FetchedPrice[] = [];
      for (const instanceType of options.instanceTypes) {
        const shape = findInstanceType("gcp", instanceType);
        const family = rates.get(familyToken(instanceType));
        if (shape === undefined || family?.coreUsdPerHour === undefined || family.ramUsdPerGibHour === undefined) {
          continue;
        }
        const usdPerHour = shape.vcpus * family.coreUsdPerHour + shape.memoryGib * family.ramUsdPerGibHour;
        prices.push({ zone: "", instanceType, usdPerHour: Math.round(usdPerHour * 1e9) / 1e9 });
      }
      return prices;
    },
    async close() {
      await client.close();
    },
  };
}

/** "n2-highcpu-4" → "N2": the family token the SKU descriptions use. */
function familyToken(instanceType: string): string {
  return instanceFamily("gcp", instanceType).toUpperCase();
}

/**
 * Matches "Spot Preemptible N2 Instance Core running in Americas", "Spot Preemptible E2 Instance
 * Ram running in …", older "Preemptible N1 Predefined Instance Core …"; custom, sole-tenant,
 * extended-memory and commitment SKUs have other words there and do not match.
 */
const SKU_DESCRIPTION = /^(?:Spot )?Preemptible (\w+) (?:Predefined )?Instance (Core|Ram)\b/;

function collectRate(sku: Sku, region: string, families: ReadonlySet<string>, rates: Map<string, FamilyRates>): void {
  if (sku.category?.usageType !== "Preemptible") return;
  if (!(sku.serviceRegions ?? []).includes(region)) return;
  const match = SKU_DESCRIPTION.exec(sku.description ?? "");
  const family = match?.[1]?.toUpperCase();
  if (family === undefined || !families.has(family)) return;
  const expression = sku.pricingInfo?.[0]?.pricingExpression;
  const tier = [...(expression?.tieredRates ?? [])].sort(
    (a, b) => Number(a.startUsageAmount ?? 0) - Number(b.startUsageAmount ?? 0),
  )[0];
  const unitPrice = tier?.unitPrice;
  if (unitPrice === undefined || unitPrice === null) return;
  if (unitPrice.currencyCode && unitPrice.currencyCode !== "USD") return;
  const usd = Number(unitPrice.units ?? 0) + Number(unitPrice.nanos ?? 0) / 1e9;
  if (!(usd > 0)) return;
  const entry = rates.get(family) ?? {};
  if (match?.[2] === "Core" && expression?.usageUnit === "h") entry.coreUsdPerHour ??= usd;
  if (match?.[2] === "Ram" && expression?.usageUnit === "GiBy.h") entry.ramUsdPerGibHour ??= usd;
  rates.set(family, entry);
}

/** The API's own message: the REST transport may hand over the whole JSON error body as the message. */
function googleErrorMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const json = text.indexOf("{");
  if (json < 0) return text;
  try {
    const body = JSON.parse(text.slice(json)) as { error?: { message?: string; status?: string }; message?: string };
    const inner = body.error ?? body;
    if (typeof inner.message === "string") {
      return `${"status" in inner && inner.status ? `${inner.status}: ` : ""}${inner.message}`;
    }
  } catch {
    // Not JSON after all: keep the text.
  }
  return text;
}

function translateGcpError(error: unknown, where: string, timeoutMs: number): SentraError {
  const code = (error as { code?: unknown }).code;
  const message = googleErrorMessage(error);
  if (code === GRPC_RESOURCE_EXHAUSTED || code === 429)
    return throttledError("gcp", `${where}: ${message}`, undefined, error);
  if (code === GRPC_UNAUTHENTICATED || code === 401 || /default credentials|api key/i.test(message)) {
    return new SentraError(
      "UNAUTHENTICATED",
      `${where}: ${message} — give the satellite Google credentials (on GKE: Workload Identity) or SENTRA_GCP_API_KEY_FILE`,
      { cause: error },
    );
  }
  if (code === GRPC_PERMISSION_DENIED || code === 403) {
    return new SentraError(
      "PERMISSION_DENIED",
      `${where}: ${message} — enable the Cloud Billing API in the project of the satellite's credentials`,
      { cause: error },
    );
  }
  if (code === GRPC_DEADLINE_EXCEEDED) {
    return new SentraError("UNAVAILABLE", `${where}: no answer within ${timeoutMs} ms`, { cause: error });
  }
  if (code === GRPC_UNAVAILABLE || code === undefined) {
    return new SentraError("UNAVAILABLE", `${where}: ${message}`, { cause: error });
  }
  return new SentraError("INTERNAL", `${where}: ${message}`, { cause: error });
}
