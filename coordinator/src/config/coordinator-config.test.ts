import { describe, expect, it } from "vitest";
import { loadCoordinatorConfig } from "./coordinator-config.js";

describe("the coordinator's transport security to the satellites (docs/security.md)", () => {
  const files = {
    SENTRA_TLS_CA_FILE: "/etc/sentra/tls/ca.crt",
    SENTRA_TLS_CERT_FILE: "/etc/sentra/tls/tls.crt",
    SENTRA_TLS_KEY_FILE: "/etc/sentra/tls/tls.key",
  };

  it("dials satellites with mTLS from the three files", () => {
    expect(loadCoordinatorConfig(files).satelliteTls).toEqual({
      mode: "mtls",
      caFile: "/etc/sentra/tls/ca.crt",
      certificateFile: "/etc/sentra/tls/tls.crt",
      keyFile: "/etc/sentra/tls/tls.key",
    });
  });

  it("refuses to start without them unless SENTRA_GRPC_INSECURE=true, naming the variables", () => {
    expect(() => loadCoordinatorConfig({})).toThrowError(
      /coordinator: invalid configuration\n\s+SENTRA_TLS_CA_FILE, SENTRA_TLS_CERT_FILE, SENTRA_TLS_KEY_FILE: required/,
    );
    expect(() => loadCoordinatorConfig({ SENTRA_TLS_CERT_FILE: "/tls.crt" })).toThrowError(
      /SENTRA_TLS_CA_FILE: required with SENTRA_TLS_CERT_FILE: mTLS needs all three files\n\s+SENTRA_TLS_KEY_FILE: required/,
    );
    expect(loadCoordinatorConfig({ SENTRA_GRPC_INSECURE: "true" }).satelliteTls).toEqual({ mode: "insecure" });
    expect(() => loadCoordinatorConfig({ ...files, SENTRA_GRPC_INSECURE: "true" })).toThrowError(
      /SENTRA_GRPC_INSECURE: plaintext was asked for/,
    );
  });
});

describe("record retention (docs/configuration.md, Retention)", () => {
  const base = { SENTRA_GRPC_INSECURE: "true" };

  it("defaults to 90 days of history and a year of audit log, checked hourly; 0 keeps forever", () => {
    expect(loadCoordinatorConfig(base).retention).toEqual({
      historyMs: 90 * 86_400_000,
      auditMs: 365 * 86_400_000,
      checkIntervalMs: 3_600_000,
    });
    expect(
      loadCoordinatorConfig({ ...base, SENTRA_HISTORY_RETENTION_DAYS: "0", SENTRA_AUDIT_RETENTION_DAYS: "0" })
        .retention,
    ).toMatchObject({ historyMs: 0, auditMs: 0 });
  });

  it("refuses history shorter than the event stream keeps events, naming the variable", () => {
    expect(() => loadCoordinatorConfig({ ...base, SENTRA_HISTORY_RETENTION_DAYS: "3" })).toThrowError(
      /SENTRA_HISTORY_RETENTION_DAYS: must be at least the event stream's age bound \(SENTRA_EVENT_STREAM_MAX_AGE_HOURS=168/,
    );
    expect(
      loadCoordinatorConfig({ ...base, SENTRA_HISTORY_RETENTION_DAYS: "3", SENTRA_EVENT_STREAM_MAX_AGE_HOURS: "72" })
        .retention.historyMs,
    ).toBe(3 * 86_400_000);
    expect(() => loadCoordinatorConfig({ ...base, SENTRA_AUDIT_RETENTION_DAYS: "-1" })).toThrowError(
      /SENTRA_AUDIT_RETENTION_DAYS/,
    );
  });
});

describe("the dashboard's delta interval (docs/configuration.md)", () => {
  const insecure = { SENTRA_GRPC_INSECURE: "true" };

  it("defaults to a 10 ms floor that grows while the event loop is busy more than 70 % of the time", () => {
    const { dashboard } = loadCoordinatorConfig(insecure);
    expect(dashboard.deltaIntervalMs).toBe(10);
    expect(dashboard.maxLoopUtilization).toBe(0.7);
    expect(
      loadCoordinatorConfig({ ...insecure, SENTRA_DASHBOARD_MAX_LOOP_UTILIZATION: "0.5" }).dashboard,
    ).toMatchObject({ maxLoopUtilization: 0.5 });
  });

  it("refuses a utilization bound outside (0, 1] and the removed emit share, naming the variable", () => {
    expect(() => loadCoordinatorConfig({ ...insecure, SENTRA_DASHBOARD_MAX_LOOP_UTILIZATION: "1.5" })).toThrowError(
      /SENTRA_DASHBOARD_MAX_LOOP_UTILIZATION/,
    );
    expect(() => loadCoordinatorConfig({ ...insecure, SENTRA_DASHBOARD_EMIT_LOOP_SHARE: "0.25" })).toThrowError(
      /SENTRA_DASHBOARD_EMIT_LOOP_SHARE: removed: .*SENTRA_DASHBOARD_MAX_LOOP_UTILIZATION/,
    );
  });
});
