import { describe, expect, it } from "vitest";
import { loadSatelliteConfig } from "./satellite-config.js";

/** mTLS files (config parsing only names them; they are read at start). */
const TLS_FILES = {
  SENTRA_TLS_CA_FILE: "/etc/sentra/tls/ca.crt",
  SENTRA_TLS_CERT_FILE: "/etc/sentra/tls/tls.crt",
  SENTRA_TLS_KEY_FILE: "/etc/sentra/tls/tls.key",
} as const;

describe("satellite configuration", () => {
  it("defaults to simulated mode with the documented intervals", () => {
    const config = loadSatelliteConfig({ ...TLS_FILES, SENTRA_CLOUD: "aws", SENTRA_REGION: "eu-west-1" });
    expect(config.satelliteId).toBe("aws-eu-west-1");
    expect(config.kube).toBeUndefined();
    expect(config.heartbeatIntervalMs).toBe(2_000);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it("uses real clusters when a kubeconfig or contexts are given", () => {
    const config = loadSatelliteConfig({
      ...TLS_FILES,
      SENTRA_CLOUD: "gcp",
      SENTRA_REGION: "us-east1",
      KUBECONFIG: "/k",
      SENTRA_KUBE_CONTEXTS: "a, b",
    });
    expect(config.kube).toEqual({
      kubeconfigPath: "/k",
      inCluster: undefined,
      contexts: ["a", "b"],
      namespaces: undefined,
    });
  });

  it("uses the pod's service account where the kubelet set KUBERNETES_SERVICE_HOST and there is no kubeconfig", () => {
    const base = { ...TLS_FILES, SENTRA_CLOUD: "aws", SENTRA_REGION: "eu-west-1" };
    const pod = { ...base, SENTRA_KUBE_CONTEXTS: "inClusterContext", KUBERNETES_SERVICE_HOST: "10.96.0.1" };
    expect(loadSatelliteConfig(pod).kube).toEqual({
      kubeconfigPath: undefined,
      inCluster: { pathPrefix: "" },
      contexts: ["inClusterContext"],
      namespaces: undefined,
    });
    // Tests stand a folder in for `/`; a kubeconfig wins over the pod's account.
    expect(
      loadSatelliteConfig({ ...pod, SENTRA_KUBE_SERVICE_ACCOUNT_PATH_PREFIX: "/tmp/pod" }).kube?.inCluster,
    ).toEqual({
      pathPrefix: "/tmp/pod",
    });
    expect(loadSatelliteConfig({ ...pod, KUBECONFIG: "/k" }).kube?.inCluster).toBeUndefined();
    // Outside a pod, client-node's default loading (~/.kube/config).
    expect(loadSatelliteConfig({ ...base, SENTRA_KUBE_CONTEXTS: "prod" }).kube?.inCluster).toBeUndefined();
    // Without a kube setting the satellite stays simulated, even in a pod.
    expect(loadSatelliteConfig({ ...base, KUBERNETES_SERVICE_HOST: "10.96.0.1" }).kube).toBeUndefined();
  });

  it("watches only the namespaces SENTRA_KUBE_NAMESPACES names, which must be namespace names", () => {
    const base = { ...TLS_FILES, SENTRA_CLOUD: "aws", SENTRA_REGION: "eu-west-1", SENTRA_KUBE_CONTEXTS: "prod" };
    expect(loadSatelliteConfig({ ...base, SENTRA_KUBE_NAMESPACES: "shop, payments" }).kube?.namespaces).toEqual([
      "shop",
      "payments",
    ]);
    expect(() => loadSatelliteConfig({ ...base, SENTRA_KUBE_NAMESPACES: "shop,Pay_ments" })).toThrowError(
      /SENTRA_KUBE_NAMESPACES: "Pay_ments" is not a namespace name/,
    );
    expect(() => loadSatelliteConfig({ ...base, SENTRA_KUBE_NAMESPACES: " , " })).toThrowError(
      /SENTRA_KUBE_NAMESPACES/,
    );
  });

  it("takes the satellite's NATS identity as a file path, one kind at a time", () => {
    const base = { ...TLS_FILES, SENTRA_CLOUD: "aws", SENTRA_REGION: "eu-west-1" };
    expect(loadSatelliteConfig(base).natsAuth).toEqual({ nkeySeedFile: undefined, credsFile: undefined });
    expect(loadSatelliteConfig({ ...base, SENTRA_NATS_NKEY_SEED_FILE: "/s/a.nk" }).natsAuth.nkeySeedFile).toBe(
      "/s/a.nk",
    );
    expect(() =>
      loadSatelliteConfig({ ...base, SENTRA_NATS_NKEY_SEED_FILE: "/s/a.nk", SENTRA_NATS_CREDS_FILE: "/s/a.creds" }),
    ).toThrowError(/SENTRA_NATS_CREDS_FILE: set either SENTRA_NATS_NKEY_SEED_FILE or SENTRA_NATS_CREDS_FILE, not both/);
  });

  it("reports every invalid variable at once, by name", () => {
    expect(() =>
      loadSatelliteConfig({ ...TLS_FILES, SENTRA_CLOUD: "ibm", SENTRA_REGION: "EU West", SENTRA_GRPC_PORT: "70000" }),
    ).toThrowError(/SENTRA_CLOUD: must be aws, gcp or azure\n\s+SENTRA_REGION: .*\n\s+SENTRA_GRPC_PORT: /);
  });

  it("checks variables that depend on each other", () => {
    expect(() =>
      loadSatelliteConfig({
        ...TLS_FILES,
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

describe("release guard configuration", () => {
  it("queries Prometheus on localhost by default and takes Loki and Tempo only when given", () => {
    const defaults = loadSatelliteConfig({ ...TLS_FILES, SENTRA_CLOUD: "aws", SENTRA_REGION: "eu-west-1" });
    expect(defaults.telemetry).toEqual({
      prometheusUrl: "http://127.0.0.1:9090",
      lokiUrl: undefined,
      tempoUrl: undefined,
      timeoutMs: 1_500,
    });
    expect(defaults.rollouts).toEqual({ routerTimeoutMs: 10_000, eventAckWaitMs: 1_000 });
    expect(defaults.simulation.trafficRequestsPerSecond).toBe(20);

    const given = loadSatelliteConfig({
      ...TLS_FILES,
      SENTRA_CLOUD: "aws",
      SENTRA_REGION: "eu-west-1",
      SENTRA_PROMETHEUS_URL: "https://gw.example/prometheus/",
      SENTRA_LOKI_URL: "http://loki:3100",
      SENTRA_TEMPO_URL: "http://tempo:3200",
    });
    // A trailing slash is dropped; a path prefix is kept.
    expect(given.telemetry.prometheusUrl).toBe("https://gw.example/prometheus");
    expect(given.telemetry.lokiUrl).toBe("http://loki:3100");
    expect(given.telemetry.tempoUrl).toBe("http://tempo:3200");
  });

  it("names each bad release guard variable", () => {
    expect(() =>
      loadSatelliteConfig({
        ...TLS_FILES,
        SENTRA_CLOUD: "aws",
        SENTRA_REGION: "eu-west-1",
        SENTRA_PROMETHEUS_URL: "prometheus:9090",
        SENTRA_TELEMETRY_TIMEOUT_MS: "50",
        SENTRA_ROUTER_TIMEOUT_MS: "abc",
      }),
    ).toThrowError(
      /SENTRA_PROMETHEUS_URL: must be an http\(s\) URL.*\n\s+SENTRA_TELEMETRY_TIMEOUT_MS: .*\n\s+SENTRA_ROUTER_TIMEOUT_MS: /,
    );
  });
});

describe("SENTRA_PRICE_OVERRIDES", () => {
  const base = { ...TLS_FILES, SENTRA_CLOUD: "aws", SENTRA_REGION: "us-east-1" } as const;

  it("parses instanceType=usdPerHour pairs (none by default)", () => {
    expect(loadSatelliteConfig(base).price.overrides).toEqual([]);
    expect(
      loadSatelliteConfig({ ...base, SENTRA_PRICE_OVERRIDES: "m5.large=0.01, c5.large=0.2" }).price.overrides,
    ).toEqual([
      { instanceType: "m5.large", usdPerHour: 0.01 },
      { instanceType: "c5.large", usdPerHour: 0.2 },
    ]);
  });

  it("names every malformed entry", () => {
    expect(() => loadSatelliteConfig({ ...base, SENTRA_PRICE_OVERRIDES: "m5.large=0,c5.large,=1" })).toThrowError(
      /SENTRA_PRICE_OVERRIDES: "m5.large=0" is not instanceType=usdPerHour.*\n.*"c5.large".*\n.*"=1"/,
    );
  });
});

describe("gRPC transport security (docs/security.md)", () => {
  const region = { SENTRA_CLOUD: "aws", SENTRA_REGION: "eu-west-1" } as const;

  it("takes the three mTLS files", () => {
    expect(loadSatelliteConfig({ ...region, ...TLS_FILES }).grpc.tls).toEqual({
      mode: "mtls",
      caFile: "/etc/sentra/tls/ca.crt",
      certificateFile: "/etc/sentra/tls/tls.crt",
      keyFile: "/etc/sentra/tls/tls.key",
    });
  });

  it("refuses to start with neither the files nor the insecure flag, naming the variables", () => {
    expect(() => loadSatelliteConfig(region)).toThrowError(
      /SENTRA_TLS_CA_FILE, SENTRA_TLS_CERT_FILE, SENTRA_TLS_KEY_FILE: required: .*SENTRA_GRPC_INSECURE=true/,
    );
    // Blank values (an empty Helm value) count as unset.
    expect(() =>
      loadSatelliteConfig({ ...region, SENTRA_TLS_CA_FILE: " ", SENTRA_TLS_CERT_FILE: "", SENTRA_TLS_KEY_FILE: "" }),
    ).toThrowError(/SENTRA_TLS_CA_FILE, SENTRA_TLS_CERT_FILE, SENTRA_TLS_KEY_FILE: required/);
  });

  it("names each missing file when only some are given", () => {
    expect(() =>
      loadSatelliteConfig({ ...region, SENTRA_TLS_CA_FILE: "/ca.crt", SENTRA_TLS_CERT_FILE: "/tls.crt" }),
    ).toThrowError(/SENTRA_TLS_KEY_FILE: required with SENTRA_TLS_CA_FILE and SENTRA_TLS_CERT_FILE/);
  });

  it("runs plaintext only behind SENTRA_GRPC_INSECURE=true, and never with files as well", () => {
    expect(loadSatelliteConfig({ ...region, SENTRA_GRPC_INSECURE: "true" }).grpc.tls).toEqual({ mode: "insecure" });
    expect(() => loadSatelliteConfig({ ...region, ...TLS_FILES, SENTRA_GRPC_INSECURE: "true" })).toThrowError(
      /SENTRA_GRPC_INSECURE: plaintext was asked for, but SENTRA_TLS_CA_FILE, SENTRA_TLS_CERT_FILE, SENTRA_TLS_KEY_FILE are set/,
    );
    expect(() => loadSatelliteConfig({ ...region, SENTRA_GRPC_INSECURE: "yes" })).toThrowError(
      /SENTRA_GRPC_INSECURE: must be true or false/,
    );
  });
});
