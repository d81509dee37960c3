import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { loadCoordinatorConfig } from "../config/coordinator-config.js";

/** Every start needs the satellites' transport security settled; these tests are about tokens. */
const TLS_FILES = {
  SENTRA_TLS_CA_FILE: "/etc/sentra/tls/ca.crt",
  SENTRA_TLS_CERT_FILE: "/etc/sentra/tls/tls.crt",
  SENTRA_TLS_KEY_FILE: "/etc/sentra/tls/tls.key",
};

describe("security configuration", () => {
  it("defaults to a generated admin token in .sentra/admin-token, 120 mutating calls a minute and 30 refused sign-ins per address", () => {
    expect(loadCoordinatorConfig(TLS_FILES).security).toEqual({
      adminToken: undefined,
      adminTokenFile: resolve(".sentra/admin-token"),
      mutationRateLimitPerMinute: 120,
      refusedSigninsPerSourceBurst: 30,
      maxStreamsPerToken: 32,
      tokenRecheckIntervalMs: 2_000,
    });
    expect(
      loadCoordinatorConfig({ ...TLS_FILES, SENTRA_REFUSED_SIGNINS_PER_SOURCE_BURST: "0" }).security
        .refusedSigninsPerSourceBurst,
    ).toBe(0);
    expect(() => loadCoordinatorConfig({ ...TLS_FILES, SENTRA_REFUSED_SIGNINS_PER_SOURCE_BURST: "-1" })).toThrow(
      /SENTRA_REFUSED_SIGNINS_PER_SOURCE_BURST/,
    );
  });

  it("takes a deployment's admin token only in the token form, without repeating it in the error", () => {
    const token = `sentra_${"a".repeat(64)}`;
    expect(loadCoordinatorConfig({ ...TLS_FILES, SENTRA_ADMIN_TOKEN: token }).security.adminToken).toBe(token);
    expect(loadCoordinatorConfig({ ...TLS_FILES, SENTRA_ADMIN_TOKEN: "" }).security.adminToken).toBeUndefined();
    const attempt = () => loadCoordinatorConfig({ ...TLS_FILES, SENTRA_ADMIN_TOKEN: "hunter2-is-not-a-token" });
    expect(attempt).toThrow(/SENTRA_ADMIN_TOKEN: must be `sentra_` followed by 32–192 characters/);
    expect(attempt).not.toThrow(/hunter2/);
  });

  it("refuses the removed dashboard token variables, naming what replaced them", () => {
    expect(() => loadCoordinatorConfig({ ...TLS_FILES, SENTRA_DASHBOARD_TOKEN: "x".repeat(20) })).toThrow(
      /SENTRA_DASHBOARD_TOKEN: removed: the dashboard signs in with any API token/,
    );
    expect(() => loadCoordinatorConfig({ ...TLS_FILES, SENTRA_DASHBOARD_TOKEN_FILE: "t" })).toThrow(
      /SENTRA_DASHBOARD_TOKEN_FILE: removed: .*SENTRA_ADMIN_TOKEN_FILE/,
    );
    expect(() => loadCoordinatorConfig({ ...TLS_FILES, SENTRA_MUTATION_RATE_LIMIT_PER_MINUTE: "0" })).toThrow(
      /SENTRA_MUTATION_RATE_LIMIT_PER_MINUTE/,
    );
  });
});
