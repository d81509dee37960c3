import { SentraError } from "@sentra/common";
import { combineSignals, DEFAULT_PRICE_API_TIMEOUT_MS } from "./aws-spot-price-fetcher.js";
import {
  type FetchedPrice,
  type LivePriceFetcher,
  parseRetryAfterMs,
  type ThrottleRetryOptions,
  throttledError,
  withThrottleRetry,
} from "./live-price-fetcher.js";

/** @default "https://prices.azure.com" — the public Azure Retail Prices API (no credentials). */
export const DEFAULT_AZURE_RETAIL_PRICES_URL = "https://prices.azure.com";
/** The API version whose answer shape the fixtures record. */
export const AZURE_RETAIL_PRICES_API_VERSION = "2023-01-01-preview";

export interface AzureSpotPriceFetcherOptions {
  /** ARM region name, e.g. "westeurope". */
  region: string;
  /** ARM SKU names, e.g. "Standard_D2s_v5". */
  instanceTypes: readonly string[];
  /** Scheme and host (a proxy, or a test server); every page is read from it. @default {@link DEFAULT_AZURE_RETAIL_PRICES_URL} */
  baseUrl?: string;
  /** @default {@link DEFAULT_PRICE_API_TIMEOUT_MS} */
  timeoutMs?: number;
  throttle?: ThrottleRetryOptions;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
}

/** One item of the Retail Prices answer (the fields Sentra reads). */
interface RetailPriceItem {
  currencyCode?: string;
  retailPrice?: number;
  unitPrice?: number;
  armRegionName?: string;
  armSkuName?: string;
  meterName?: string;
  productName?: string;
  skuName?: string;
  serviceName?: string;
  unitOfMeasure?: string;
  type?: string;
}

interface RetailPricesPage {
  Items?: RetailPriceItem[];
  NextPageLink?: string | null;
}

/**
 * Live Azure spot prices from the public Retail Prices API: `$filter` on the region, Virtual
 * Machines, `priceType eq 'Consumption'`, spot meters (`contains(meterName, 'Spot')`) and the
 * requested ARM SKUs; every `NextPageLink` followed (on the configured base URL). Linux meters
 * only (a product name ending in "Windows" is skipped); unit `1 Hour`, so the retail price is
 * already USD per instance-hour. HTTP 429 is retried honouring `Retry-After`.
 */
export function createAzureSpotPriceFetcher(options: AzureSpotPriceFetcherOptions): LivePriceFetcher {
  const base = new URL(options.baseUrl ?? DEFAULT_AZURE_RETAIL_PRICES_URL);
  const timeoutMs = options.timeoutMs ?? DEFAULT_PRICE_API_TIMEOUT_MS;
  const doFetch = options.fetch ?? globalThis.fetch;
  const wanted = new Set(options.instanceTypes);
  const skuFilter = options.instanceTypes.map((sku) => `armSkuName eq '${odataString(sku)}'`).join(" or ");
  const filter =
    `serviceName eq 'Virtual Machines' and armRegionName eq '${odataString(options.region)}' and ` +
    `priceType eq 'Consumption' and contains(meterName, 'Spot')${skuFilter ? ` and (${skuFilter})` : ""}`;
  const prefix = base.pathname.replace(/\/+$/, "");
  const first = new URL(`${prefix}/api/retail/prices`, base);
  first.searchParams.set("api-version", AZURE_RETAIL_PRICES_API_VERSION);
  first.searchParams.set("currencyCode", "USD");
  first.searchParams.set("$filter", filter);

  const getPage = async (url: URL, signal: AbortSignal | undefined): Promise<RetailPricesPage> => {
    const where = `Azure Retail Prices ${url.origin}${url.pathname}`;
    let response: Response;
    try {
      response = await doFetch(url, {
        headers: { accept: "application/json" },
        signal: combineSignals(signal, timeoutMs),
      });
    } catch (error) {
      const name = error instanceof Error ? error.name : "";
      throw new SentraError(
        "UNAVAILABLE",
        name === "TimeoutError" || name === "AbortError"
          ? `${where}: no answer within ${timeoutMs} ms`
          : `${where}: cannot reach it: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    if (response.status === 429) {
      const retryAfterMs = parseRetryAfterMs(response.headers.get("retry-after"));
      await response.body?.cancel();
      throw throttledError("azure", `${where}: HTTP 429`, retryAfterMs);
    }
    const text = await response.text();
    if (!response.ok) {
      throw new SentraError(
        response.status >= 500 ? "UNAVAILABLE" : "INTERNAL",
        `${where}: HTTP ${response.status}: ${text.slice(0, 300)}`,
      );
    }
    try {
      return JSON.parse(text) as RetailPricesPage;
    } catch (error) {
      throw new SentraError("INTERNAL", `${where}: the answer is not JSON: ${text.slice(0, 120)}`, { cause: error });
    }
  };

  return {
    api: "azure",
    async fetch(signal) {
      const prices = new Map<string, FetchedPrice>();
      let url: URL | undefined = first;
      let pages = 0;
      while (url !== undefined) {
        const pageUrl: URL = url;
        const page = await withThrottleRetry("azure", () => getPage(pageUrl, signal), options.throttle, signal);
        for (const item of page.Items ?? []) {
          const sku = item.armSkuName ?? "";
          const usdPerHour = item.retailPrice ?? item.unitPrice ?? Number.NaN;
          if (!wanted.has(sku) || !(usdPerHour > 0)) continue;
          if (item.armRegionName !== undefined && item.armRegionName !== options.region) continue;
          if (item.type !== undefined && item.type !== "Consumption") continue;
          if (!/\bspot\b/i.test(item.meterName ?? "") || /low priority/i.test(item.meterName ?? "")) continue;
          if (/windows$/i.test(item.productName ?? "")) continue;
          if (item.unitOfMeasure !== undefined && item.unitOfMeasure !== "1 Hour") continue;
          if (item.currencyCode !== undefined && item.currencyCode !== "USD") continue;
          const seen = prices.get(sku);
          // Several Linux spot meters for one SKU are not expected; keep the cheapest, deterministically.
          if (seen === undefined || usdPerHour < seen.usdPerHour)
            prices.set(sku, { zone: "", instanceType: sku, usdPerHour });
        }
        url = page.NextPageLink ? rebase(page.NextPageLink, base, prefix) : undefined;
        if (++pages > 1_000) throw new SentraError("INTERNAL", "Azure Retail Prices: more than 1000 pages");
      }
      return [...prices.values()];
    },
  };
}

/**
 * A NextPageLink on the configured base URL: the API answers absolute links to its public host,
 * which a proxy or test server stands in for.
 */
function rebase(link: string, base: URL, prefix: string): URL {
  const next = new URL(link, base);
  const path = prefix !== "" && !next.pathname.startsWith(`${prefix}/`) ? `${prefix}${next.pathname}` : next.pathname;
  return new URL(`${path}${next.search}`, base);
}

/** A string inside an OData literal ('…'): quotes doubled. */
function odataString(value: string): string {
  return value.replaceAll("'", "''");
}
