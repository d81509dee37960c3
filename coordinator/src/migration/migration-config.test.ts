import { describe, expect, it } from "vitest";
import { loadCoordinatorConfig } from "../config/coordinator-config.js";
import { arbitrageOptionsOf } from "./migration.module.js";

/** mTLS to the satellites is required; parsing only names the files. */
const TLS_FILES = {
  SENTRA_TLS_CA_FILE: "/etc/sentra/tls/ca.crt",
  SENTRA_TLS_CERT_FILE: "/etc/sentra/tls/tls.crt",
  SENTRA_TLS_KEY_FILE: "/etc/sentra/tls/tls.key",
};

describe("arbitrage, migration and automatic-mode configuration", () => {
  it("has safe defaults: automatic mode off, 5 min ready deadline, no fault injection", () => {
    const config = loadCoordinatorConfig(TLS_FILES);
    expect(config.autoMigration).toMatchObject({ enabled: false, sustainSeconds: 1_800, cooldownSeconds: 21_600 });
    expect(config.migration).toMatchObject({ readyTimeoutMs: 300_000, callTimeoutMs: 3_000, crashAtStep: undefined });
    expect(arbitrageOptionsOf(config)).toMatchObject({ priceTtlMs: 30_000, minMarginUsd: 0, horizonHours: 24 });
  });

  it("reads egress overrides as JSON rules and names the variable when they are wrong", () => {
    const rule = {
      from: ["gcp:*"],
      to: ["gcp:*"],
      usdPerGb: 0.02,
      kind: "inter_region",
      source: { id: "ops", url: "https://example.com", captured: "2026-03-01", licence: "n/a" },
    };
    const config = loadCoordinatorConfig({ ...TLS_FILES, SENTRA_EGRESS_PRICE_OVERRIDES: JSON.stringify([rule]) });
    expect(config.arbitrage.egressPriceOverrides).toEqual([rule]);
    expect(() => loadCoordinatorConfig({ ...TLS_FILES, SENTRA_EGRESS_PRICE_OVERRIDES: "[{" })).toThrow(
      /SENTRA_EGRESS_PRICE_OVERRIDES: not JSON/,
    );
    expect(() => loadCoordinatorConfig({ ...TLS_FILES, SENTRA_EGRESS_PRICE_OVERRIDES: '[{"from":[]}]' })).toThrow(
      /SENTRA_EGRESS_PRICE_OVERRIDES/,
    );
  });

  it("refuses an unknown crash step and a non-boolean SENTRA_AUTO_MIGRATE", () => {
    expect(() => loadCoordinatorConfig({ ...TLS_FILES, SENTRA_TEST_CRASH_AT_STEP: "SOMEWHERE" })).toThrow(
      /SENTRA_TEST_CRASH_AT_STEP/,
    );
    expect(() => loadCoordinatorConfig({ ...TLS_FILES, SENTRA_AUTO_MIGRATE: "yes" })).toThrow(
      /SENTRA_AUTO_MIGRATE: must be true or false/,
    );
    expect(loadCoordinatorConfig({ ...TLS_FILES, SENTRA_AUTO_MIGRATE: "true" }).autoMigration.enabled).toBe(true);
  });

  it("reads the automatic mode's opt-in namespaces (none by default) and refuses a bad name", () => {
    expect(loadCoordinatorConfig({ ...TLS_FILES }).autoMigration.optInNamespaces).toEqual([]);
    expect(
      loadCoordinatorConfig({ ...TLS_FILES, SENTRA_AUTO_MIGRATE_NAMESPACES: " shop, default ,," }).autoMigration
        .optInNamespaces,
    ).toEqual(["shop", "default"]);
    expect(() => loadCoordinatorConfig({ ...TLS_FILES, SENTRA_AUTO_MIGRATE_NAMESPACES: "Shop" })).toThrow(
      /SENTRA_AUTO_MIGRATE_NAMESPACES/,
    );
  });
});
