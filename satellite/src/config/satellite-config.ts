import {
  checkGrpcTlsEnvironment,
  GRPC_TLS_ENVIRONMENT,
  type GrpcTlsSettings,
  grpcTlsSettingsOf,
  parseConfig,
} from "@sentra/common";
import { SATELLITE_ID_PATTERN } from "@sentra/proto";
import { z } from "zod";
import { DEFAULT_RELEASE_POLICY_INTERVAL_MS } from "../gitops/release-policy-controller.js";
import { DEFAULT_AZURE_RETAIL_PRICES_URL } from "../price/azure-spot-price-fetcher.js";
import {
  DEFAULT_AWS_PRICE_REFRESH_INTERVAL_MS,
  DEFAULT_CATALOG_PRICE_REFRESH_INTERVAL_MS,
  DEFAULT_PRICE_MAX_AGE_INTERVALS,
} from "../price/live-spot-price-source.js";
import { ROUTER_ADAPTER_DEFINITIONS } from "../traffic/adapters/adapter-registry.js";

/**
 * Prefix of the router adapters' endpoint overrides: `SENTRA_ADAPTER_ENDPOINT_<NAME>`, the adapter's
 * name in upper snake case (`aws-lambda` → `SENTRA_ADAPTER_ENDPOINT_AWS_LAMBDA`).
 */
export const ADAPTER_ENDPOINT_ENV_PREFIX = "SENTRA_ADAPTER_ENDPOINT_";

/** The environment variable of one adapter's endpoint override. */
export function adapterEndpointVariable(adapterName: string): string {
  return `${ADAPTER_ENDPOINT_ENV_PREFIX}${adapterName.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;
}

/** @default 2000 — the heartbeat period the coordinator's staleness rule (3 missed) is built on. */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 2_000;
/** @default 5000 */
export const DEFAULT_PRICE_INTERVAL_MS = 5_000;
/** @default 2000 — how long simulated Deployments take to become ready after a scale-up. */
export const DEFAULT_SIM_READINESS_DELAY_MS = 2_000;
/** @default 20 — simulated requests per second through each HTTPRoute of a simulated cluster. */
export const DEFAULT_SIM_TRAFFIC_RPS = 20;
/** @default "http://127.0.0.1:9090" — the Prometheus the release guard's gates query. */
export const DEFAULT_PROMETHEUS_URL = "http://127.0.0.1:9090";
/** @default 1500 — deadline of one telemetry query, under the 2 s minimum evaluation interval. */
export const DEFAULT_TELEMETRY_TIMEOUT_MS = 1_500;
/** @default 10000 — deadline of one traffic router call; a slower router counts as failed. */
export const DEFAULT_ROUTER_TIMEOUT_MS = 10_000;
/** @default 1000 — how long a rollout event waits for JetStream's ack before traffic moves on. */
export const DEFAULT_EVENT_ACK_WAIT_MS = 1_000;

/** `SENTRA_PRICE_SOURCE` values: the seeded model, a CSV replay, or a cloud's live pricing API. */
export const PRICE_SOURCES = ["model", "replay", "aws", "azure", "gcp"] as const;
export type PriceSourceName = (typeof PRICE_SOURCES)[number];

/** A Kubernetes namespace name: a DNS label (RFC 1123). */
const KUBE_NAMESPACE_PATTERN = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

const port = z.coerce.number().int().min(0).max(65_535);
const positiveMs = z.coerce.number().int().min(50).max(3_600_000);
const httpUrl = z
  .string()
  .regex(/^https?:\/\/[^\s/]+(\/\S*)?$/, "must be an http(s) URL such as http://127.0.0.1:9090")
  .transform((value) => value.replace(/\/+$/, ""));
const list = z
  .string()
  .transform((value) =>
    value
      .split(",")
      .map((item) => item.trim())
      .filter(Boolean),
  )
  .optional();

const schema = z
  .object({
    SENTRA_CLOUD: z.enum(["aws", "gcp", "azure"], { message: "must be aws, gcp or azure" }),
    SENTRA_REGION: z.string().regex(/^[a-z0-9-]+$/, "must be a cloud region name such as eu-west-1"),
    SENTRA_SATELLITE_ID: z
      .string()
      .regex(SATELLITE_ID_PATTERN, "lowercase letters, digits, - and _ (max 63)")
      .optional(),
    SENTRA_REGION_LATITUDE: z.coerce.number().min(-90).max(90).optional(),
    SENTRA_REGION_LONGITUDE: z.coerce.number().min(-180).max(180).optional(),
    KUBECONFIG: z.string().optional(),
    SENTRA_KUBE_CONTEXTS: list,
    SENTRA_KUBE_NAMESPACES: z
      .string()
      .optional()
      .transform((value, context) => {
        if (value === undefined) return undefined;
        const namespaces = value
          .split(",")
          .map((item) => item.trim())
          .filter(Boolean);
        for (const namespace of namespaces.filter((name) => !KUBE_NAMESPACE_PATTERN.test(name))) {
          context.addIssue({ code: "custom", message: `"${namespace}" is not a namespace name (a DNS label)` });
        }
        if (namespaces.length === 0) context.addIssue({ code: "custom", message: "names no namespace" });
        return namespaces;
      }),
    // Set by the kubelet in every pod: the API server's address, with the service account's files.
    KUBERNETES_SERVICE_HOST: z.string().min(1).optional(),
    SENTRA_KUBE_SERVICE_ACCOUNT_PATH_PREFIX: z.string().min(1).optional(),
    SENTRA_SIM_CLUSTERS: z.coerce.number().int().min(1).max(16).default(1),
    SENTRA_SIM_READINESS_DELAY_MS: z.coerce.number().int().min(0).max(600_000).default(DEFAULT_SIM_READINESS_DELAY_MS),
    SENTRA_SIM_TRAFFIC_RPS: z.coerce.number().min(0).max(10_000).default(DEFAULT_SIM_TRAFFIC_RPS),
    NATS_URL: z.string().default("nats://127.0.0.1:4222"),
    SENTRA_NATS_NKEY_SEED_FILE: z.string().min(1).optional(),
    SENTRA_NATS_CREDS_FILE: z.string().min(1).optional(),
    SENTRA_SUBJECT_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9_-]*$/, "one subject token")
      .default(""),
    SENTRA_GRPC_HOST: z.string().default("127.0.0.1"),
    SENTRA_GRPC_PORT: port.default(0),
    SENTRA_GRPC_ADVERTISED_ENDPOINT: z
      .string()
      .regex(/^[^\s:]+:\d+$/, "must be host:port")
      .optional(),
    ...GRPC_TLS_ENVIRONMENT,
    SENTRA_HTTP_HOST: z.string().default("127.0.0.1"),
    SENTRA_HTTP_PORT: port.default(0),
    SENTRA_PROMETHEUS_URL: httpUrl.default(DEFAULT_PROMETHEUS_URL),
    SENTRA_LOKI_URL: httpUrl.optional(),
    SENTRA_TEMPO_URL: httpUrl.optional(),
    SENTRA_TELEMETRY_TIMEOUT_MS: z.coerce.number().int().min(100).max(10_000).default(DEFAULT_TELEMETRY_TIMEOUT_MS),
    SENTRA_ROUTER_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(120_000).default(DEFAULT_ROUTER_TIMEOUT_MS),
    SENTRA_EVENT_ACK_WAIT_MS: z.coerce.number().int().min(0).max(30_000).default(DEFAULT_EVENT_ACK_WAIT_MS),
    // The GitOps trigger: ReleasePolicies start rollouts when their Deployment's template changes.
    SENTRA_RELEASE_POLICIES: z.enum(["true", "false"]).default("true"),
    SENTRA_RELEASE_POLICY_INTERVAL_MS: z.coerce
      .number()
      .int()
      .min(200)
      .max(60_000)
      .default(DEFAULT_RELEASE_POLICY_INTERVAL_MS),
    SENTRA_HEARTBEAT_INTERVAL_MS: positiveMs.default(DEFAULT_HEARTBEAT_INTERVAL_MS),
    SENTRA_PRICE_INTERVAL_MS: positiveMs.default(DEFAULT_PRICE_INTERVAL_MS),
    // Unset: the model in simulated mode, the cloud's own live API with real clusters.
    SENTRA_PRICE_SOURCE: z.enum(PRICE_SOURCES, { message: "must be model, replay, aws, azure or gcp" }).optional(),
    SENTRA_PRICE_REFRESH_INTERVAL_MS: z.coerce.number().int().min(1_000).max(86_400_000).optional(),
    SENTRA_PRICE_MAX_AGE_MS: z.coerce
      .number()
      .int()
      .min(1_000)
      .max(7 * 86_400_000)
      .optional(),
    SENTRA_AWS_EC2_ENDPOINT: httpUrl.optional(),
    SENTRA_AZURE_RETAIL_PRICES_URL: httpUrl.default(DEFAULT_AZURE_RETAIL_PRICES_URL),
    SENTRA_GCP_BILLING_ENDPOINT: z
      .string()
      .regex(/^(https?:\/\/)?[^\s/:]+(:\d+)?\/?$/, "must be host, host:port or http(s)://host:port")
      .optional(),
    SENTRA_GCP_API_KEY_FILE: z.string().min(1).optional(),
    SENTRA_REDIS_URL: z
      .string()
      .regex(/^rediss?:\/\/\S+$/, "must be a redis:// or rediss:// URL")
      .optional(),
    SENTRA_REDIS_PREFIX: z.string().default("sentra:"),
    SENTRA_PRICE_SEED: z.coerce.number().int().optional(),
    SENTRA_PRICE_REPLAY_CSV: z.string().optional(),
    SENTRA_PRICE_REPLAY_SPEED: z.coerce.number().positive().default(3_600),
    SENTRA_INSTANCE_TYPES: list,
    SENTRA_PRICE_OVERRIDES: z
      .string()
      .optional()
      .transform((value, context) => {
        const overrides: { instanceType: string; usdPerHour: number }[] = [];
        for (const entry of (value ?? "").split(",").map((item) => item.trim())) {
          if (entry === "") continue;
          const match = /^([A-Za-z0-9._-]+)=(\d+(?:\.\d+)?)$/.exec(entry);
          const usdPerHour = Number(match?.[2]);
          if (!match?.[1] || !(usdPerHour > 0)) {
            context.addIssue({
              code: "custom",
              message: `"${entry}" is not instanceType=usdPerHour with a positive price, e.g. m5.large=0.01`,
            });
            continue;
          }
          overrides.push({ instanceType: match[1], usdPerHour });
        }
        return overrides;
      }),
    SENTRA_LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
  })
  .superRefine((env, context) => {
    checkGrpcTlsEnvironment(env, context);
    const live =
      env.SENTRA_PRICE_SOURCE ??
      (env.KUBECONFIG !== undefined || env.SENTRA_KUBE_CONTEXTS !== undefined ? env.SENTRA_CLOUD : "model");
    if ((live === "aws" || live === "azure" || live === "gcp") && live !== env.SENTRA_CLOUD) {
      context.addIssue({
        code: "custom",
        path: ["SENTRA_PRICE_SOURCE"],
        message: `${live} prices ${live} regions, but SENTRA_CLOUD is ${env.SENTRA_CLOUD}`,
      });
    }
    if ((live === "aws" || live === "azure" || live === "gcp") && (env.SENTRA_PRICE_OVERRIDES ?? []).length > 0) {
      context.addIssue({
        code: "custom",
        path: ["SENTRA_PRICE_OVERRIDES"],
        message: `forced prices apply to the model and replay only, not to live ${live} prices (set SENTRA_PRICE_SOURCE=model)`,
      });
    }
    if (
      env.SENTRA_PRICE_MAX_AGE_MS !== undefined &&
      env.SENTRA_PRICE_REFRESH_INTERVAL_MS !== undefined &&
      env.SENTRA_PRICE_MAX_AGE_MS < env.SENTRA_PRICE_REFRESH_INTERVAL_MS
    ) {
      context.addIssue({
        code: "custom",
        path: ["SENTRA_PRICE_MAX_AGE_MS"],
        message: "must be at least SENTRA_PRICE_REFRESH_INTERVAL_MS",
      });
    }
    if (env.SENTRA_PRICE_SOURCE === "replay" && !env.SENTRA_PRICE_REPLAY_CSV) {
      context.addIssue({
        code: "custom",
        path: ["SENTRA_PRICE_REPLAY_CSV"],
        message: "required when SENTRA_PRICE_SOURCE=replay",
      });
    }
    if (env.SENTRA_NATS_NKEY_SEED_FILE && env.SENTRA_NATS_CREDS_FILE) {
      context.addIssue({
        code: "custom",
        path: ["SENTRA_NATS_CREDS_FILE"],
        message: "set either SENTRA_NATS_NKEY_SEED_FILE or SENTRA_NATS_CREDS_FILE, not both",
      });
    }
    if ((env.SENTRA_REGION_LATITUDE === undefined) !== (env.SENTRA_REGION_LONGITUDE === undefined)) {
      context.addIssue({
        code: "custom",
        path: ["SENTRA_REGION_LONGITUDE"],
        message: "give latitude and longitude together",
      });
    }
  });

/** Where the satellite finds its real clusters and what it watches in them. */
export interface KubeSettings {
  /** `KUBECONFIG`: a kubeconfig file; wins over the in-cluster config. */
  kubeconfigPath: string | undefined;
  /**
   * The pod's own service account (`KubeConfig.loadFromCluster`, context `inClusterContext`), used
   * without a `KUBECONFIG` when the kubelet's `KUBERNETES_SERVICE_HOST` is set. `pathPrefix` stands
   * for `/` where the token, `ca.crt` and namespace are read
   * (`<prefix>/var/run/secrets/kubernetes.io/serviceaccount/…`): "" in a pod, a folder in tests,
   * which cannot write to /var/run. Undefined: client-node's `loadFromDefault` (~/.kube/config).
   */
  inCluster: { pathPrefix: string } | undefined;
  /** Contexts to manage; empty = the current one. */
  contexts: string[];
  /**
   * `SENTRA_KUBE_NAMESPACES`: the only namespaces whose Deployments (and ReleasePolicies) the
   * satellite lists and watches, so a namespaced Role per namespace suffices; undefined = all.
   */
  namespaces: string[] | undefined;
}

/** The satellite's configuration, parsed once at start-up from the environment. */
export interface SatelliteConfig {
  satelliteId: string;
  cloud: "aws" | "gcp" | "azure";
  region: string;
  coordinates: { latitude: number; longitude: number } | undefined;
  /** Real clusters from a kubeconfig; undefined means simulated mode. */
  kube: KubeSettings | undefined;
  /** `trafficRequestsPerSecond`: simulated workload traffic through each HTTPRoute (0 = none). */
  simulation: { clusters: number; readinessDelayMs: number; trafficRequestsPerSecond: number };
  natsUrl: string;
  /**
   * The satellite's own NATS identity, as file paths (read at connect, never logged): an nkey seed
   * from `sentra nats-config` or a `.creds` file. Neither: an anonymous connection.
   */
  natsAuth: { nkeySeedFile: string | undefined; credsFile: string | undefined };
  subjectPrefix: string;
  /**
   * `advertisedEndpoint`: what the coordinator dials; default host:bound port. `tls`: mTLS files
   * (only the coordinator's certificate may call) or plaintext (docs/security.md).
   */
  grpc: { host: string; port: number; advertisedEndpoint: string | undefined; tls: GrpcTlsSettings };
  http: { host: string; port: number };
  /** The telemetry backends the release guard's gates query; Loki and Tempo are optional. */
  telemetry: { prometheusUrl: string; lokiUrl: string | undefined; tempoUrl: string | undefined; timeoutMs: number };
  /** Release guard: router call deadline and how long an event waits for JetStream's ack. */
  rollouts: { routerTimeoutMs: number; eventAckWaitMs: number };
  /**
   * Router adapters (policies' `router:`): the endpoint override of each adapter, by adapter name,
   * from `SENTRA_ADAPTER_ENDPOINT_<NAME>` (a simulated endpoint, a VPC endpoint, a proxy). Absent:
   * the SDK's default endpoint. Credentials never come from here: each SDK's default chain.
   */
  adapters: { endpoints: Readonly<Record<string, string>> };
  /** The ReleasePolicy controller (GitOps trigger); interval undefined = off. */
  releasePolicies: { intervalMs: number | undefined };
  heartbeatIntervalMs: number;
  priceIntervalMs: number;
  price: {
    /**
     * `SENTRA_PRICE_SOURCE`; unset: `model` in simulated mode (the demo), the satellite's own
     * cloud's live API with real clusters. `sourceFromDefault` says which.
     */
    source: PriceSourceName;
    sourceFromDefault: boolean;
    /** Live sources: how often the API is read, and how old a confirmed price may be quoted (ms). */
    refreshIntervalMs: number;
    maxAgeMs: number;
    /** Live endpoints (VPC endpoints, proxies, tests); undefined = the public ones. */
    awsEc2Endpoint: string | undefined;
    azureRetailPricesUrl: string;
    gcpBillingEndpoint: { apiEndpoint: string; port: number | undefined; protocol: "http" | "https" } | undefined;
    /** A file with a Google API key for the (public) Catalog API; unset: Application Default Credentials. */
    gcpApiKeyFile: string | undefined;
    /** `SENTRA_REDIS_URL`: the live price cache; unset = in memory. */
    cache: { redisUrl: string | undefined; redisPrefix: string };
    seed: number | undefined;
    replayCsv: string | undefined;
    replaySpeed: number;
    instanceTypes: string[] | undefined;
    /** Forced prices (every zone), e.g. to stage a price drop in a demo or test. */
    overrides: { instanceType: string; usdPerHour: number }[];
  };
  logLevel: string;
}

/**
 * The adapters' endpoint overrides from `SENTRA_ADAPTER_ENDPOINT_<NAME>`. A variable naming no
 * installed adapter is refused (a misspelt name must not silently fall back to the public endpoint).
 * @throws Error naming each bad variable
 */
function adapterEndpointsOf(
  env: Record<string, string | undefined>,
  adapterNames: readonly string[],
): Record<string, string> {
  const byVariable = new Map(adapterNames.map((name) => [adapterEndpointVariable(name), name]));
  const endpoints: Record<string, string> = {};
  const problems: string[] = [];
  for (const [variable, value] of Object.entries(env)) {
    if (!variable.startsWith(ADAPTER_ENDPOINT_ENV_PREFIX) || value === undefined) continue;
    const name = byVariable.get(variable);
    if (name === undefined) {
      const known = [...byVariable.keys()].join(", ") || "none: no router adapter is installed";
      problems.push(`  ${variable}: names no router adapter (known: ${known})`);
    } else if (!/^\S+$/.test(value)) {
      problems.push(`  ${variable}: must be an endpoint (URL, host:port or socket path) without spaces`);
    } else {
      endpoints[name] = value;
    }
  }
  if (problems.length > 0) throw new Error(`satellite: invalid configuration\n${problems.join("\n")}`);
  return endpoints;
}

export function loadSatelliteConfig(env: Record<string, string | undefined>): SatelliteConfig {
  const parsed = parseConfig("satellite", schema, env);
  const adapterEndpoints = adapterEndpointsOf(
    env,
    ROUTER_ADAPTER_DEFINITIONS.map((definition) => definition.name),
  );
  // Simulated mode is the default where no kubeconfig is given (DESIGN "Running it").
  const kube: KubeSettings | undefined =
    parsed.KUBECONFIG !== undefined || parsed.SENTRA_KUBE_CONTEXTS !== undefined
      ? {
          kubeconfigPath: parsed.KUBECONFIG || undefined,
          inCluster:
            !parsed.KUBECONFIG && parsed.KUBERNETES_SERVICE_HOST !== undefined
              ? { pathPrefix: parsed.SENTRA_KUBE_SERVICE_ACCOUNT_PATH_PREFIX ?? "" }
              : undefined,
          contexts: parsed.SENTRA_KUBE_CONTEXTS ?? [],
          namespaces: parsed.SENTRA_KUBE_NAMESPACES,
        }
      : undefined;
  const source: PriceSourceName = parsed.SENTRA_PRICE_SOURCE ?? (kube !== undefined ? parsed.SENTRA_CLOUD : "model");
  const refreshIntervalMs =
    parsed.SENTRA_PRICE_REFRESH_INTERVAL_MS ??
    (source === "aws" ? DEFAULT_AWS_PRICE_REFRESH_INTERVAL_MS : DEFAULT_CATALOG_PRICE_REFRESH_INTERVAL_MS);
  return Object.freeze({
    satelliteId: parsed.SENTRA_SATELLITE_ID ?? `${parsed.SENTRA_CLOUD}-${parsed.SENTRA_REGION}`,
    cloud: parsed.SENTRA_CLOUD,
    region: parsed.SENTRA_REGION,
    coordinates:
      parsed.SENTRA_REGION_LATITUDE !== undefined && parsed.SENTRA_REGION_LONGITUDE !== undefined
        ? { latitude: parsed.SENTRA_REGION_LATITUDE, longitude: parsed.SENTRA_REGION_LONGITUDE }
        : undefined,
    kube,
    simulation: {
      clusters: parsed.SENTRA_SIM_CLUSTERS,
      readinessDelayMs: parsed.SENTRA_SIM_READINESS_DELAY_MS,
      trafficRequestsPerSecond: parsed.SENTRA_SIM_TRAFFIC_RPS,
    },
    natsUrl: parsed.NATS_URL,
    natsAuth: { nkeySeedFile: parsed.SENTRA_NATS_NKEY_SEED_FILE, credsFile: parsed.SENTRA_NATS_CREDS_FILE },
    subjectPrefix: parsed.SENTRA_SUBJECT_PREFIX,
    grpc: {
      host: parsed.SENTRA_GRPC_HOST,
      port: parsed.SENTRA_GRPC_PORT,
      advertisedEndpoint: parsed.SENTRA_GRPC_ADVERTISED_ENDPOINT,
      tls: grpcTlsSettingsOf(parsed),
    },
    http: { host: parsed.SENTRA_HTTP_HOST, port: parsed.SENTRA_HTTP_PORT },
    telemetry: {
      prometheusUrl: parsed.SENTRA_PROMETHEUS_URL,
      lokiUrl: parsed.SENTRA_LOKI_URL,
      tempoUrl: parsed.SENTRA_TEMPO_URL,
      timeoutMs: parsed.SENTRA_TELEMETRY_TIMEOUT_MS,
    },
    rollouts: { routerTimeoutMs: parsed.SENTRA_ROUTER_TIMEOUT_MS, eventAckWaitMs: parsed.SENTRA_EVENT_ACK_WAIT_MS },
    adapters: { endpoints: Object.freeze(adapterEndpoints) },
    releasePolicies: {
      intervalMs: parsed.SENTRA_RELEASE_POLICIES === "true" ? parsed.SENTRA_RELEASE_POLICY_INTERVAL_MS : undefined,
    },
    heartbeatIntervalMs: parsed.SENTRA_HEARTBEAT_INTERVAL_MS,
    priceIntervalMs: parsed.SENTRA_PRICE_INTERVAL_MS,
    price: {
      source,
      sourceFromDefault: parsed.SENTRA_PRICE_SOURCE === undefined,
      refreshIntervalMs,
      maxAgeMs: parsed.SENTRA_PRICE_MAX_AGE_MS ?? DEFAULT_PRICE_MAX_AGE_INTERVALS * refreshIntervalMs,
      awsEc2Endpoint: parsed.SENTRA_AWS_EC2_ENDPOINT,
      azureRetailPricesUrl: parsed.SENTRA_AZURE_RETAIL_PRICES_URL,
      gcpBillingEndpoint: gcpEndpointOf(parsed.SENTRA_GCP_BILLING_ENDPOINT),
      gcpApiKeyFile: parsed.SENTRA_GCP_API_KEY_FILE,
      cache: { redisUrl: parsed.SENTRA_REDIS_URL, redisPrefix: parsed.SENTRA_REDIS_PREFIX },
      seed: parsed.SENTRA_PRICE_SEED,
      replayCsv: parsed.SENTRA_PRICE_REPLAY_CSV,
      replaySpeed: parsed.SENTRA_PRICE_REPLAY_SPEED,
      instanceTypes: parsed.SENTRA_INSTANCE_TYPES,
      overrides: parsed.SENTRA_PRICE_OVERRIDES,
    },
    logLevel: parsed.SENTRA_LOG_LEVEL,
  });
}

/** `host`, `host:port` or `http(s)://host:port` as the Cloud Billing client's options. */
function gcpEndpointOf(
  value: string | undefined,
): { apiEndpoint: string; port: number | undefined; protocol: "http" | "https" } | undefined {
  if (value === undefined) return undefined;
  const match = /^(?:(https?):\/\/)?([^\s/:]+)(?::(\d+))?\/?$/.exec(value);
  if (match?.[2] === undefined) return undefined;
  return {
    apiEndpoint: match[2],
    port: match[3] === undefined ? undefined : Number(match[3]),
    protocol: match[1] === "http" ? "http" : "https",
  };
}
