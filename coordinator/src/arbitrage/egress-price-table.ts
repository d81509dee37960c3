import { SentraError } from "@sentra/common";
import { type RegionRef, regionKey } from "./region-market.js";

/** Where an egress price comes from: a public file pinned to a commit, or the operator's configuration. */
export interface EgressPriceSource {
  readonly id: string;
  readonly url: string;
  /** Date the source's values were captured (ISO-8601). */
  readonly captured: string;
  readonly licence: string;
}

/**
 * One line of an egress price table: the USD/GB for moving data from any region matching `from`
 * to any region matching `to`. Patterns are `cloud:region`, `cloud:*` (any region of that cloud)
 * or `*` (anything).
 */
export interface EgressPriceRule {
  readonly from: readonly string[];
  readonly to: readonly string[];
  /** List price, USD per GB (10^9 bytes) transferred out of the source region. */
  readonly usdPerGb: number;
  /** `fallback` rules cover pairs no published line covers; see {@link DEFAULT_EGRESS_PRICE_RULES}. */
  readonly kind: "inter_region" | "cross_cloud" | "fallback";
  readonly source: EgressPriceSource;
  readonly note?: string;
}

/** How a pair was priced, for the plan's arithmetic. */
export interface EgressQuote {
  readonly usdPerGb: number;
  /** `same-region` costs nothing; `override` comes from configuration; `default` from the built-in table. */
  readonly match: "same-region" | "override" | "default";
  readonly rule: EgressPriceRule | null;
}

/** Prices data moved between two regions. Memoised: the finder asks for the same few pairs many times. */
export interface EgressPriceTable {
  quote(source: RegionRef, target: RegionRef): EgressQuote;
  usdPerGb(source: RegionRef, target: RegionRef): number;
}

/** The public files the default table was transcribed from (all listed in shared/data/egress-prices.json). */
export const EGRESS_PRICE_SOURCES = {
  skyplaneAwsTransferCosts: {
    id: "skyplane-aws-transfer-costs",
    url: "https://github.com/skyplane-project/skyplane/blob/4602d9cec2083142831f7f208b413ca2bf091bd8/skyplane/data/aws_transfer_costs.csv",
    captured: "2022-12-04",
    licence: "Apache-2.0",
  },
  skyplaneCostGrid: {
    id: "skyplane-cost-grid",
    url: "https://github.com/skyplane-project/skyplane/blob/1e920e4a/skyplane/broadcast/profiles/cost.csv",
    captured: "2023-02-06",
    licence: "Apache-2.0",
  },
} as const satisfies Record<string, EgressPriceSource>;

const AWS = EGRESS_PRICE_SOURCES.skyplaneAwsTransferCosts;
const GRID = EGRESS_PRICE_SOURCES.skyplaneCostGrid;

const aws = (...regions: string[]): string[] => regions.map((r) => `aws:${r}`);
const gcp = (...regions: string[]): string[] => regions.map((r) => `gcp:${r}`);
const azure = (...regions: string[]): string[] => regions.map((r) => `azure:${r}`);

/** AWS regions charging 0.02 USD/GB to other AWS regions and 0.09 to the internet / other clouds. */
const AWS_US_EU_CA = aws(
  "us-east-1",
  "us-east-2",
  "us-west-1",
  "us-west-2",
  "ca-central-1",
  "eu-central-1",
  "eu-north-1",
  "eu-south-1",
  "eu-west-1",
  "eu-west-2",
  "eu-west-3",
);
const GCP_NORTH_AMERICA = gcp("us-east1", "us-central1", "us-west1");
const GCP_EUROPE = gcp("europe-west1", "europe-west3");
const GCP_GRID_REGIONS = [...GCP_NORTH_AMERICA, ...GCP_EUROPE, ...gcp("southamerica-east1")];
const AZURE_NORTH_AMERICA = azure("eastus", "eastus2", "northcentralus", "southcentralus", "westus2");
const AZURE_EUROPE = azure("germanywestcentral", "northeurope", "uksouth", "westeurope");

const CONSERVATIVE =
  "Highest price of this kind in the source; applies to pairs the published lines do not cover, because over-estimating egress can only block a move, never make a loss-making one look good.";

/**
 * The built-in egress table: first-tier list prices, USD/GB, each rule citing the file it was read
 * from. It is compact (rules, not the 1,600 pairs) yet reproduces every inter-region and
 * cross-cloud pair of `shared/data/egress-prices.json` exactly (a test checks this).
 *
 * * AWS inter-region: one flat price per source region (0.01 between us-east-1 and us-east-2).
 * * AWS / Azure / GCP cross-cloud: the source region's first paid internet tier.
 * * GCP inter-region: 0.01 within North America, 0.02 within Europe, 0.08 otherwise (2022-era
 *   rules; GCP raised inter-region prices in 2024, so override them from configuration).
 * * Azure inter-region: 0.02 within North America or Europe, 0.05 between them, 0.08 from
 *   Australia, 0.16 from Brazil.
 * * Fallbacks for regions not listed: the highest price of the same kind (conservative).
 */
export const DEFAULT_EGRESS_PRICE_RULES: readonly EgressPriceRule[] = [
  // AWS → AWS (skyplane aws_transfer_costs.csv)
  {
    from: aws("us-east-1", "us-east-2"),
    to: aws("us-east-1", "us-east-2"),
    usdPerGb: 0.01,
    kind: "inter_region",
    source: AWS,
  },
  { from: AWS_US_EU_CA, to: ["aws:*"], usdPerGb: 0.02, kind: "inter_region", source: AWS },
  { from: aws("ap-northeast-2"), to: ["aws:*"], usdPerGb: 0.08, kind: "inter_region", source: AWS },
  { from: aws("me-central-1"), to: ["aws:*"], usdPerGb: 0.085, kind: "inter_region", source: AWS },
  { from: aws("ap-south-1"), to: ["aws:*"], usdPerGb: 0.086, kind: "inter_region", source: AWS },
  {
    from: aws("ap-east-1", "ap-northeast-1", "ap-northeast-3", "ap-southeast-1"),
    to: ["aws:*"],
    usdPerGb: 0.09,
    kind: "inter_region",
    source: AWS,
  },
  { from: aws("ap-southeast-2"), to: ["aws:*"], usdPerGb: 0.098, kind: "inter_region", source: AWS },
  { from: aws("ap-southeast-3"), to: ["aws:*"], usdPerGb: 0.1, kind: "inter_region", source: AWS },
  { from: aws("me-south-1"), to: ["aws:*"], usdPerGb: 0.1105, kind: "inter_region", source: AWS },
  { from: aws("sa-east-1"), to: ["aws:*"], usdPerGb: 0.138, kind: "inter_region", source: AWS },
  { from: aws("af-south-1"), to: ["aws:*"], usdPerGb: 0.147, kind: "inter_region", source: AWS },
  { from: ["aws:*"], to: ["aws:*"], usdPerGb: 0.147, kind: "fallback", source: AWS, note: CONSERVATIVE },
  // AWS → other clouds (skyplane cost grid: the source's internet rate)
  { from: AWS_US_EU_CA, to: ["*"], usdPerGb: 0.09, kind: "cross_cloud", source: GRID },
  { from: aws("ap-south-1"), to: ["*"], usdPerGb: 0.1093, kind: "cross_cloud", source: GRID },
  { from: aws("me-central-1"), to: ["*"], usdPerGb: 0.11, kind: "cross_cloud", source: GRID },
  {
    from: aws("ap-northeast-1", "ap-northeast-3", "ap-southeast-2"),
    to: ["*"],
    usdPerGb: 0.114,
    kind: "cross_cloud",
    source: GRID,
  },
  { from: aws("me-south-1"), to: ["*"], usdPerGb: 0.117, kind: "cross_cloud", source: GRID },
  { from: aws("ap-east-1", "ap-southeast-1"), to: ["*"], usdPerGb: 0.12, kind: "cross_cloud", source: GRID },
  { from: aws("ap-northeast-2"), to: ["*"], usdPerGb: 0.126, kind: "cross_cloud", source: GRID },
  { from: aws("ap-southeast-3"), to: ["*"], usdPerGb: 0.132, kind: "cross_cloud", source: GRID },
  { from: aws("sa-east-1"), to: ["*"], usdPerGb: 0.15, kind: "cross_cloud", source: GRID },
  { from: aws("af-south-1"), to: ["*"], usdPerGb: 0.154, kind: "cross_cloud", source: GRID },
  { from: ["aws:*"], to: ["*"], usdPerGb: 0.154, kind: "fallback", source: GRID, note: CONSERVATIVE },
  // GCP → GCP (skyplane cost grid)
  { from: GCP_NORTH_AMERICA, to: GCP_NORTH_AMERICA, usdPerGb: 0.01, kind: "inter_region", source: GRID },
  { from: GCP_EUROPE, to: GCP_EUROPE, usdPerGb: 0.02, kind: "inter_region", source: GRID },
  {
    from: [...GCP_GRID_REGIONS, ...gcp("asia-southeast1")],
    to: ["gcp:*"],
    usdPerGb: 0.08,
    kind: "inter_region",
    source: GRID,
    note: "Inter-continental.",
  },
  { from: ["gcp:*"], to: ["gcp:*"], usdPerGb: 0.08, kind: "fallback", source: GRID, note: CONSERVATIVE },
  // GCP → other clouds (skyplane cost grid: the source's internet rate; 0.19 to Australia)
  { from: GCP_GRID_REGIONS, to: ["*"], usdPerGb: 0.12, kind: "cross_cloud", source: GRID },
  {
    from: GCP_GRID_REGIONS,
    to: ["aws:ap-southeast-2", "azure:australiaeast"],
    usdPerGb: 0.19,
    kind: "cross_cloud",
    source: GRID,
  },
  { from: gcp("asia-southeast1"), to: ["*"], usdPerGb: 0.19, kind: "cross_cloud", source: GRID },
  { from: ["gcp:*"], to: ["*"], usdPerGb: 0.19, kind: "fallback", source: GRID, note: CONSERVATIVE },
  // Azure → Azure (skyplane cost grid)
  { from: AZURE_NORTH_AMERICA, to: AZURE_NORTH_AMERICA, usdPerGb: 0.02, kind: "inter_region", source: GRID },
  { from: AZURE_EUROPE, to: AZURE_EUROPE, usdPerGb: 0.02, kind: "inter_region", source: GRID },
  {
    from: [...AZURE_NORTH_AMERICA, ...AZURE_EUROPE],
    to: ["azure:*"],
    usdPerGb: 0.05,
    kind: "inter_region",
    source: GRID,
  },
  { from: azure("australiaeast"), to: ["azure:*"], usdPerGb: 0.08, kind: "inter_region", source: GRID },
  { from: azure("brazilsouth"), to: ["azure:*"], usdPerGb: 0.16, kind: "inter_region", source: GRID },
  { from: ["azure:*"], to: ["azure:*"], usdPerGb: 0.16, kind: "fallback", source: GRID, note: CONSERVATIVE },
  // Azure → other clouds (skyplane cost grid: the source's internet rate)
  {
    from: [...AZURE_NORTH_AMERICA, ...AZURE_EUROPE],
    to: ["*"],
    usdPerGb: 0.0875,
    kind: "cross_cloud",
    source: GRID,
  },
  { from: azure("australiaeast"), to: ["*"], usdPerGb: 0.12, kind: "cross_cloud", source: GRID },
  { from: azure("brazilsouth"), to: ["*"], usdPerGb: 0.181, kind: "cross_cloud", source: GRID },
  { from: ["azure:*"], to: ["*"], usdPerGb: 0.181, kind: "fallback", source: GRID, note: CONSERVATIVE },
  // Any other cloud: the highest price in the table.
  { from: ["*"], to: ["*"], usdPerGb: 0.19, kind: "fallback", source: GRID, note: CONSERVATIVE },
];

/** Options of {@link createEgressPriceTable}. */
export interface EgressPriceTableOptions {
  /**
   * Rules from configuration. Any override that matches a pair wins over every built-in rule
   * (the most specific override among several).
   * @default []
   */
  readonly overrides?: readonly EgressPriceRule[];
  /**
   * The built-in rules.
   * @default DEFAULT_EGRESS_PRICE_RULES
   */
  readonly defaults?: readonly EgressPriceRule[];
}

const PATTERN = /^(\*|[a-z0-9][a-z0-9-]*:(\*|[a-z0-9][a-z0-9-]*))$/;

interface CompiledRule {
  readonly rule: EgressPriceRule;
  readonly from: readonly string[];
  readonly to: readonly string[];
}

/** 2 = exact `cloud:region`, 1 = `cloud:*`, 0 = `*`, -1 = no match. */
function patternScore(patterns: readonly string[], key: string, cloud: string): number {
  let best = -1;
  for (const pattern of patterns) {
    if (pattern === key) return 2;
    if (pattern === "*") best = Math.max(best, 0);
    else if (pattern.endsWith(":*") && pattern.length === cloud.length + 2 && pattern.startsWith(cloud)) {
      best = Math.max(best, 1);
    }
  }
  return best;
}

function compileRules(rules: readonly EgressPriceRule[], field: string): CompiledRule[] {
  return rules.map((rule, index) => {
    for (const pattern of [...rule.from, ...rule.to]) {
      if (!PATTERN.test(pattern)) {
        throw SentraError.invalidArgument(
          `${field}[${index}]`,
          `"${pattern}" is not a region pattern; write "cloud:region", "cloud:*" or "*"`,
        );
      }
    }
    if (!Number.isFinite(rule.usdPerGb) || rule.usdPerGb < 0) {
      throw SentraError.invalidArgument(
        `${field}[${index}].usdPerGb`,
        `must be a non-negative number, got ${rule.usdPerGb}`,
      );
    }
    return { rule, from: rule.from, to: rule.to };
  });
}

/** The most specific matching rule; a more specific source beats a more specific target; ties go to the earlier rule. */
function bestRule(rules: readonly CompiledRule[], source: RegionRef, target: RegionRef): EgressPriceRule | null {
  const sourceKey = regionKey(source);
  const targetKey = regionKey(target);
  let best: EgressPriceRule | null = null;
  let bestScore = -1;
  for (const compiled of rules) {
    const fromScore = patternScore(compiled.from, sourceKey, source.cloud);
    if (fromScore < 0) continue;
    const toScore = patternScore(compiled.to, targetKey, target.cloud);
    if (toScore < 0) continue;
    const score = fromScore * 3 + toScore;
    if (score > bestScore) {
      best = compiled.rule;
      bestScore = score;
    }
  }
  return best;
}

/**
 * Builds an egress price lookup: same region → 0; else the most specific configuration override;
 * else the most specific built-in rule. The built-in table ends with a `* → *` rule, so every pair
 * gets a price.
 */
export function createEgressPriceTable(options: EgressPriceTableOptions = {}): EgressPriceTable {
  const overrides = compileRules(options.overrides ?? [], "egressPriceOverrides");
  const defaults = compileRules(options.defaults ?? DEFAULT_EGRESS_PRICE_RULES, "egressPriceDefaults");
  const cache = new Map<string, EgressQuote>();

  const quote = (source: RegionRef, target: RegionRef): EgressQuote => {
    if (source.cloud === target.cloud && source.region === target.region) {
      return { usdPerGb: 0, match: "same-region", rule: null };
    }
    const cacheKey = `${regionKey(source)}>${regionKey(target)}`;
    const cached = cache.get(cacheKey);
    if (cached !== undefined) return cached;
    const override = bestRule(overrides, source, target);
    let result: EgressQuote;
    if (override !== null) {
      result = { usdPerGb: override.usdPerGb, match: "override", rule: override };
    } else {
      const rule = bestRule(defaults, source, target);
      if (rule === null) {
        throw new SentraError(
          "FAILED_PRECONDITION",
          `No egress price for ${regionKey(source)} → ${regionKey(target)}; add a "*" → "*" rule to the egress table`,
        );
      }
      result = { usdPerGb: rule.usdPerGb, match: "default", rule };
    }
    cache.set(cacheKey, result);
    return result;
  };

  return { quote, usdPerGb: (source, target) => quote(source, target).usdPerGb };
}

/** The built-in table, without overrides. */
export const DEFAULT_EGRESS_PRICE_TABLE: EgressPriceTable = createEgressPriceTable();

/** USD per GB to move data from `source` to `target` (0 within a region). */
export function egressUsdPerGb(
  source: RegionRef,
  target: RegionRef,
  table: EgressPriceTable = DEFAULT_EGRESS_PRICE_TABLE,
): number {
  return table.usdPerGb(source, target);
}
