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
