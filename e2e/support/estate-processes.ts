import { readFileSync } from "node:fs";
import { join } from "node:path";
import { satelliteCommonName } from "@sentra/common";
import { createPeerChannelCredentials, createServiceClient, SatelliteService, type ServiceClient } from "@sentra/proto";
import { getTestPki, REPO_ROOT, type RunningProcess, startProcess, type TestNamespace } from "@sentra/testkit";
import { namespaceAdminTokenFile } from "./coordinator-auth.js";
import { deleteSatelliteEventStreamOnDispose } from "./satellite-events.js";

/** Intervals short enough for tests, in the same ratio as production (TTL > 3 heartbeats). */
export const TEST_HEARTBEAT_INTERVAL_MS = 500;
export const TEST_PRICE_INTERVAL_MS = 500;
export const TEST_PRICE_TTL_MS = 2_000;
/** Start-up normally takes ~1 s; a loaded 2-core CI machine running two test files at once can take far longer. */
export const PROCESS_START_TIMEOUT_MS = 45_000;

export interface CoordinatorProcess {
  process: RunningProcess;
  grpcAddress: string;
  httpUrl: string;
  /** The bootstrap admin token (`bootstrap-admin`), the same for every coordinator of the namespace. */
  adminToken: string;
  /** The file it is kept in (`SENTRA_ADMIN_TOKEN_FILE`). */
  adminTokenFile: string;
}

/**
 * Starts the built coordinator (`coordinator/dist/main.js`) in the test's namespace, with the
 * namespace's admin token file (see namespaceAdminTokenFile). It dials satellites over mTLS with
 * the test PKI's `coordinator` certificate unless `env` says otherwise (`SENTRA_GRPC_INSECURE=true`
 * with the three `SENTRA_TLS_*` set to "" runs it plaintext); `env` may override the token too.
 */
export async function startCoordinatorProcess(
  namespace: TestNamespace,
  env: Record<string, string> = {},
): Promise<CoordinatorProcess> {
  const child = startProcess(process.execPath, [join(REPO_ROOT, "coordinator/dist/main.js")], {
    ...(await (await getTestPki()).coordinatorEnv()),
    NATS_URL: namespace.urls.natsUrl,
    REDIS_URL: namespace.urls.redisUrl,
    MYSQL_URL: namespace.mysqlUrl,
    SENTRA_SUBJECT_PREFIX: namespace.subjectPrefix,
    SENTRA_REDIS_PREFIX: namespace.redisKeyPrefix,
    SENTRA_GRPC_PORT: "0",
    SENTRA_HTTP_PORT: "0",
    SENTRA_PRICE_TTL_MS: String(TEST_PRICE_TTL_MS),
    SENTRA_INVENTORY_SYNC_INTERVAL_MS: "1000",
    SENTRA_ADMIN_TOKEN_FILE: namespaceAdminTokenFile(namespace).path,
    ...env,
  });
  // The coordinator creates the namespace's JetStream event stream; deferred first, so it is
  // deleted after the coordinator has stopped (defers run in reverse).
  deleteSatelliteEventStreamOnDispose(namespace);
  namespace.defer(() => child.stop());
  await child.waitForOutput(/"msg":"coordinator started"/, PROCESS_START_TIMEOUT_MS);
  const line =
    child
      .output()
      .split("\n")
      .find((text) => text.includes('"coordinator started"')) ?? "";
  const parsed = JSON.parse(line) as { httpUrl: string; grpcPort: number };
  const adminTokenFile = env.SENTRA_ADMIN_TOKEN_FILE ?? namespaceAdminTokenFile(namespace).path;
  // Read after the start: a coordinator given an absent file has generated the token into it.
  const adminToken = env.SENTRA_ADMIN_TOKEN ?? readFileSync(adminTokenFile, "utf8").trim();
  return {
    process: child,
    grpcAddress: `127.0.0.1:${parsed.grpcPort}`,
    httpUrl: parsed.httpUrl,
    adminToken,
    adminTokenFile,
  };
}

export interface SatelliteProcess {
  process: RunningProcess;
  satelliteId: string;
  grpcEndpoint: string;
  opsUrl: string;
}

/**
 * Starts the built satellite (`satellite/dist/main.js`) in simulated mode in the test's namespace,
 * serving SatelliteService over mTLS with the test PKI's `satellite:<id>` certificate (only the
 * coordinator's certificate may call it) unless `env` says otherwise.
 */
export async function startSatelliteProcess(
  namespace: TestNamespace,
  cloud: string,
  region: string,
  env: Record<string, string> = {},
): Promise<SatelliteProcess> {
  const satelliteId = env.SENTRA_SATELLITE_ID ?? `${cloud}-${region}`;
  const child = startProcess(process.execPath, [join(REPO_ROOT, "satellite/dist/main.js")], {
    ...(await (await getTestPki()).satelliteEnv(satelliteId)),
    NATS_URL: namespace.urls.natsUrl,
    SENTRA_CLOUD: cloud,
    SENTRA_REGION: region,
    SENTRA_SATELLITE_ID: satelliteId,
    SENTRA_SUBJECT_PREFIX: namespace.subjectPrefix,
    SENTRA_HEARTBEAT_INTERVAL_MS: String(TEST_HEARTBEAT_INTERVAL_MS),
    SENTRA_PRICE_INTERVAL_MS: String(TEST_PRICE_INTERVAL_MS),
    SENTRA_SIM_READINESS_DELAY_MS: "200",
    ...env,
  });
  namespace.defer(() => child.stop());
  await child.waitForOutput(/"msg":"satellite started"/, PROCESS_START_TIMEOUT_MS);
  const line =
    child
      .output()
      .split("\n")
      .find((text) => text.includes('"satellite started"')) ?? "";
  const parsed = JSON.parse(line) as { grpcEndpoint: string; opsUrl: string };
  return { process: child, satelliteId, grpcEndpoint: parsed.grpcEndpoint, opsUrl: parsed.opsUrl };
}

/**
 * A SatelliteService client that dials a satellite process as the coordinator does (mTLS with the
 * test PKI's `coordinator` certificate, expecting `satellite:<id>`); closed with the namespace.
 */
export async function connectToSatellite(
  namespace: TestNamespace,
  satellite: SatelliteProcess,
): Promise<ServiceClient<typeof SatelliteService>> {
  const client = createServiceClient(
    SatelliteService,
    satellite.grpcEndpoint,
    createPeerChannelCredentials(
      await (await getTestPki()).coordinatorSecurity(),
      satelliteCommonName(satellite.satelliteId),
    ),
  );
  namespace.defer(() => client.close());
  return client;
}

/** Reads one sample of a Prometheus text exposition (sum over the series matching all labels). */
export async function readMetric(url: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let total = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`))) {
      total += Number(line.slice(line.lastIndexOf(" ") + 1));
    }
  }
  return total;
}
