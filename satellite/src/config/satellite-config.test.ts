import { describe, expect, it } from "vitest";
import { loadSatelliteConfig } from "./satellite-config.js";

describe("satellite configuration", () => {
  it("defaults to simulated mode with the documented intervals", () => {
    const config = loadSatelliteConfig({ SENTRA_CLOUD: "aws", SENTRA_REGION: "eu-west-1" });
    expect(config.satelliteId).toBe("aws-eu-west-1");
    expect(config.kube).toBeUndefined();
    expect(config.heartbeatIntervalMs).toBe(2_000);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it("uses real clusters when a kubeconfig or contexts are given", () => {
    const config = loadSatelliteConfig({
      SENTRA_CLOUD: "gcp",
      SENTRA_REGION: "us-east1",
      KUBECONFIG: "/k",
      SENTRA_KUBE_CONTEXTS: "a, b",
    });
    expect(config.kube).toEqual({ kubeconfigPath: "/k", contexts: ["a", "b"] });
  });

  it("reports every invalid variable at once, by name", () => {
    expect(() =>
      loadSatelliteConfig({ SENTRA_CLOUD: "ibm", SENTRA_REGION: "EU West", SENTRA_GRPC_PORT: "70000" }),
    ).toThrowError(/SENTRA_CLOUD: must be aws, gcp or azure\n\s+SENTRA_REGION: .*\n\s+SENTRA_GRPC_PORT: /);
  });

  it("checks variables that depend on each other", () => {
    expect(() =>
      loadSatelliteConfig({
        SENTRA_CLOUD: "aws",
        SENTRA_REGION: "eu-west-1",
        SENTRA_PRICE_SOURCE: "replay",
        SENTRA_REGION_LATITUDE: "10",
      }),
    ).toThrowError(
      /SENTRA_PRICE_REPLAY_CSV: required when SENTRA_PRICE_SOURCE=replay\n\s+SENTRA_REGION_LONGITUDE: give latitude and longitude together/,
    );
  });
});
