import { describe, expect, it } from "vitest";
import { isLoopbackHost } from "./api-tls-settings.js";
import { loadCoordinatorConfig } from "./coordinator-config.js";

describe("the API's transport security (docs/security.md)", () => {
  const base = { SENTRA_GRPC_INSECURE: "true" };
  const files = {
    SENTRA_API_TLS_CERT_FILE: "/etc/sentra/api/tls.crt",
    SENTRA_API_TLS_KEY_FILE: "/etc/sentra/api/tls.key",
  };
  const everywhere = { SENTRA_GRPC_HOST: "0.0.0.0", SENTRA_HTTP_HOST: "0.0.0.0" };

  it("serves TLS from the two files, re-read every 10 s unless told otherwise", () => {
    expect(loadCoordinatorConfig({ ...base, ...files, ...everywhere }).apiTls).toEqual({
      mode: "tls",
      certificateFile: "/etc/sentra/api/tls.crt",
      keyFile: "/etc/sentra/api/tls.key",
      reloadIntervalMs: 10_000,
    });
    expect(loadCoordinatorConfig({ ...base, ...files, SENTRA_API_TLS_RELOAD_INTERVAL_MS: "250" }).apiTls).toMatchObject(
      { reloadIntervalMs: 250 },
    );
    expect(() => loadCoordinatorConfig({ ...base, ...files, SENTRA_API_TLS_RELOAD_INTERVAL_MS: "10" })).toThrowError(
      /SENTRA_API_TLS_RELOAD_INTERVAL_MS/,
    );
  });

  it("stays plaintext on loopback binds without any setting (npm run demo, the tests)", () => {
    expect(loadCoordinatorConfig(base).apiTls).toEqual({ mode: "plaintext", exposed: false });
    expect(loadCoordinatorConfig({ ...base, SENTRA_GRPC_HOST: "::1", SENTRA_HTTP_HOST: "localhost" }).apiTls).toEqual({
      mode: "plaintext",
      exposed: false,
    });
  });

  it("refuses a plaintext API on an address other hosts can reach, naming each host variable and the remedies", () => {
    expect(() => loadCoordinatorConfig({ ...base, ...everywhere })).toThrowError(
      /SENTRA_GRPC_HOST: "0\.0\.0\.0" is not a loopback address, and the API would carry API tokens in clear: set SENTRA_API_TLS_CERT_FILE and SENTRA_API_TLS_KEY_FILE to serve TLS, or SENTRA_API_INSECURE=true[^\n]*\n\s+SENTRA_HTTP_HOST: "0\.0\.0\.0" is not a loopback address/,
    );
    expect(() => loadCoordinatorConfig({ ...base, SENTRA_HTTP_HOST: "10.0.0.7" })).toThrowError(
      /SENTRA_HTTP_HOST: "10\.0\.0\.7" is not a loopback address/,
    );
    expect(loadCoordinatorConfig({ ...base, ...everywhere, SENTRA_API_INSECURE: "true" }).apiTls).toEqual({
      mode: "plaintext",
      exposed: true,
    });
  });

  it("needs both files, and not the files together with the insecure flag", () => {
    expect(() =>
      loadCoordinatorConfig({ ...base, SENTRA_API_TLS_CERT_FILE: files.SENTRA_API_TLS_CERT_FILE }),
    ).toThrowError(/SENTRA_API_TLS_KEY_FILE: required with SENTRA_API_TLS_CERT_FILE/);
    expect(() =>
      loadCoordinatorConfig({ ...base, SENTRA_API_TLS_KEY_FILE: files.SENTRA_API_TLS_KEY_FILE }),
    ).toThrowError(/SENTRA_API_TLS_CERT_FILE: required with SENTRA_API_TLS_KEY_FILE/);
    expect(() => loadCoordinatorConfig({ ...base, ...files, SENTRA_API_INSECURE: "true" })).toThrowError(
      /SENTRA_API_INSECURE: a plaintext API was asked for, but SENTRA_API_TLS_CERT_FILE and SENTRA_API_TLS_KEY_FILE are set too/,
    );
    expect(() => loadCoordinatorConfig({ ...base, SENTRA_API_INSECURE: "yes" })).toThrowError(
      /SENTRA_API_INSECURE: must be true or false/,
    );
    // Blank (a Helm value left empty) is not given.
    expect(
      loadCoordinatorConfig({ ...base, SENTRA_API_TLS_CERT_FILE: "", SENTRA_API_TLS_KEY_FILE: " " }).apiTls.mode,
    ).toBe("plaintext");
  });

  it("counts only this machine's own addresses as loopback", () => {
    for (const host of [
      "127.0.0.1",
      "127.1.2.3",
      "::1",
      "[::1]",
      "0:0:0:0:0:0:0:1",
      "::ffff:127.0.0.1",
      "localhost",
      "LOCALHOST",
    ]) {
      expect(isLoopbackHost(host), host).toBe(true);
    }
    for (const host of ["0.0.0.0", "::", "", "10.0.0.1", "128.0.0.1", "::2", "coordinator", "localhost.example.com"]) {
      expect(isLoopbackHost(host), host).toBe(false);
    }
  });
});
