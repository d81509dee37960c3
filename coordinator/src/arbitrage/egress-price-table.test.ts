import { readFileSync } from "node:fs";
import { join } from "node:path";
import { resolveSharedDataDir, SentraError } from "@sentra/common";
import { describe, expect, it } from "vitest";
import {
  createEgressPriceTable,
  DEFAULT_EGRESS_PRICE_RULES,
  DEFAULT_EGRESS_PRICE_TABLE,
  EGRESS_PRICE_SOURCES,
  egressUsdPerGb,
} from "./egress-price-table.js";
import type { RegionRef } from "./region-market.js";

interface EgressEntry {
  cloud: string;
  kind: "internet_egress" | "inter_region" | "cross_cloud";
  src: string;
  dst: string;
  usd_per_unit: number;
  unit: string;
  source_id: string;
}
interface EgressFile {
  sources: Record<string, { url: string; captured: string; licence: string }>;
  entries: EgressEntry[];
}

const file = JSON.parse(
  readFileSync(join(resolveSharedDataDir(process.env), "egress-prices.json"), "utf8"),
) as EgressFile;

const ref = (key: string): RegionRef => {
  const [cloud = "", region = ""] = key.split(":");
  return { cloud, region };
};

describe("default egress price table vs shared/data/egress-prices.json", () => {
  const pairs = file.entries.filter((e) => e.kind === "inter_region" || e.kind === "cross_cloud");

  it("reproduces every inter-region and cross-cloud pair exactly", () => {
    expect(pairs.length).toBe(1638);
    const mismatches = pairs
      .map((e) => ({
        pair: `${e.src} → ${e.dst}`,
        file: e.usd_per_unit,
        table: egressUsdPerGb(ref(e.src), ref(e.dst)),
      }))
      .filter((m) => m.file !== m.table);
    expect(mismatches).toEqual([]);
  });

  it("prices every pair in USD per GB, as the table does", () => {
    expect(new Set(pairs.map((e) => e.unit))).toEqual(new Set(["GB"]));
  });

  it("cites, for every rule, a source the shared file lists with the same URL and capture date", () => {
    for (const rule of DEFAULT_EGRESS_PRICE_RULES) {
      const listed = file.sources[rule.source.id];
      expect(listed, rule.source.id).toBeDefined();
      expect(rule.source.url).toBe(listed?.url);
      expect(rule.source.captured).toBe(listed?.captured);
      expect(rule.source.licence).toBe(listed?.licence);
    }
    expect(Object.values(EGRESS_PRICE_SOURCES).map((s) => s.id)).toEqual([
      "skyplane-aws-transfer-costs",
      "skyplane-cost-grid",
    ]);
  });

  it("takes the AWS cross-cloud price equal to the source's first internet tier in the file", () => {
    const internet = file.entries.filter((e) => e.cloud === "aws" && e.kind === "internet_egress");
    expect(internet.length).toBe(23);
    for (const e of internet) {
      expect(egressUsdPerGb(ref(e.src), { cloud: "gcp", region: "us-east1" }), e.src).toBe(e.usd_per_unit);
    }
  });

  it("sets each fallback to the highest price of its kind in the file (conservative)", () => {
    const max = (cloud: string | null, kind: EgressEntry["kind"]) =>
      Math.max(
        ...pairs.filter((e) => (cloud === null || e.cloud === cloud) && e.kind === kind).map((e) => e.usd_per_unit),
      );
    let n = 0;
    const unknown = (cloud: string) => ({ cloud, region: `nowhere-${++n}` });
    expect(egressUsdPerGb(unknown("aws"), unknown("aws"))).toBe(max("aws", "inter_region"));
    expect(egressUsdPerGb(unknown("aws"), unknown("gcp"))).toBe(max("aws", "cross_cloud"));
    expect(egressUsdPerGb(unknown("gcp"), unknown("gcp"))).toBe(max("gcp", "inter_region"));
    expect(egressUsdPerGb(unknown("gcp"), unknown("aws"))).toBe(max("gcp", "cross_cloud"));
    expect(egressUsdPerGb(unknown("azure"), unknown("azure"))).toBe(max("azure", "inter_region"));
    expect(egressUsdPerGb(unknown("azure"), unknown("aws"))).toBe(max("azure", "cross_cloud"));
    expect(egressUsdPerGb(unknown("oci"), unknown("aws"))).toBe(
      Math.max(max(null, "cross_cloud"), max(null, "inter_region")),
    );
    expect(DEFAULT_EGRESS_PRICE_TABLE.quote(unknown("aws"), unknown("aws")).rule?.kind).toBe("fallback");
  });
});

describe("egress lookup", () => {
  it("charges nothing within a region", () => {
    const quote = DEFAULT_EGRESS_PRICE_TABLE.quote(ref("aws:us-east-1"), ref("aws:us-east-1"));
    expect(quote).toEqual({ usdPerGb: 0, match: "same-region", rule: null });
  });

  it("lets configuration overrides win over every built-in rule", () => {
    const config = { id: "config", url: "sentra.yaml", captured: "2026-01-01", licence: "n/a" };
    const table = createEgressPriceTable({
      overrides: [
        { from: ["aws:*"], to: ["aws:*"], usdPerGb: 0.015, kind: "inter_region", source: config },
        { from: ["aws:us-east-1"], to: ["aws:eu-west-1"], usdPerGb: 0.005, kind: "inter_region", source: config },
      ],
    });
    // The built-in exact us-east-1 ↔ us-east-2 rule (0.01) loses to the wildcard override.
    expect(table.quote(ref("aws:us-east-1"), ref("aws:us-east-2"))).toMatchObject({
      usdPerGb: 0.015,
      match: "override",
    });
    // The more specific override wins among overrides.
    expect(table.usdPerGb(ref("aws:us-east-1"), ref("aws:eu-west-1"))).toBe(0.005);
    // Pairs no override matches keep the built-in price.
    expect(table.quote(ref("aws:us-east-1"), ref("gcp:us-east1"))).toMatchObject({ usdPerGb: 0.09, match: "default" });
  });

  it("rejects a malformed pattern with INVALID_ARGUMENT", () => {
    const config = { id: "config", url: "", captured: "", licence: "" };
    expect(() =>
      createEgressPriceTable({
        overrides: [{ from: ["aws-us-east-1"], to: ["*"], usdPerGb: 0.01, kind: "inter_region", source: config }],
      }),
    ).toThrow(SentraError);
  });
});
