import { describe, expect, it } from "vitest";
import { adapterEndpointVariable, loadSatelliteConfig } from "./satellite-config.js";

const BASE = { SENTRA_GRPC_INSECURE: "true", SENTRA_CLOUD: "aws", SENTRA_REGION: "eu-west-1" } as const;

describe("router adapter endpoints from SENTRA_ADAPTER_ENDPOINT_<NAME>", () => {
  it("maps each installed adapter's variable to its name, and none by default", () => {
    expect(adapterEndpointVariable("nginx-upstream")).toBe("SENTRA_ADAPTER_ENDPOINT_NGINX_UPSTREAM");
    expect(loadSatelliteConfig(BASE).adapters.endpoints).toEqual({});
    const config = loadSatelliteConfig({
      ...BASE,
      SENTRA_ADAPTER_ENDPOINT_HAPROXY: "/run/haproxy/admin.sock",
      SENTRA_ADAPTER_ENDPOINT_AWS_LAMBDA: "http://127.0.0.1:4566",
    });
    expect(config.adapters.endpoints).toEqual({
      haproxy: "/run/haproxy/admin.sock",
      "aws-lambda": "http://127.0.0.1:4566",
    });
  });

  it("refuses a variable that names no adapter, or an endpoint with spaces, naming the variable", () => {
    expect(() => loadSatelliteConfig({ ...BASE, SENTRA_ADAPTER_ENDPOINT_HAPROXI: "127.0.0.1:9999" })).toThrow(
      /SENTRA_ADAPTER_ENDPOINT_HAPROXI: names no router adapter \(known: .*SENTRA_ADAPTER_ENDPOINT_HAPROXY/,
    );
    expect(() => loadSatelliteConfig({ ...BASE, SENTRA_ADAPTER_ENDPOINT_HAPROXY: "127.0.0.1 9999" })).toThrow(
      /SENTRA_ADAPTER_ENDPOINT_HAPROXY: must be an endpoint/,
    );
  });
});
