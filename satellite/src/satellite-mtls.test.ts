import {
  type CallOptions,
  type ChannelCredentials,
  type Client,
  credentials,
  makeGenericClientConstructor,
  type ServiceError,
  status,
} from "@grpc/grpc-js";
import { createLogger, type GrpcTransportSecurity, SentraError, satelliteCommonName } from "@sentra/common";
import { createPeerChannelCredentials, createServiceClient, SatelliteService } from "@sentra/proto";
import { createTestNamespace, createTestPki, eventually, getTestPki, type TestNamespace } from "@sentra/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadSatelliteConfig } from "./config/satellite-config.js";
import { type RunningSatellite, startSatellite } from "./satellite.js";

const SATELLITE_ID = "aws-eu-west-1";
const WORKLOAD = { cluster: `${SATELLITE_ID}-sim`, namespace: "default", name: "checkout-api" };

/** The PEM files of an issued certificate as client credentials trusting `caPem`. */
function clientCredentials(caPem: Buffer, security?: GrpcTransportSecurity): ChannelCredentials {
  if (security?.mode !== "mtls") return credentials.createSsl(caPem);
  return credentials.createSsl(caPem, security.privateKeyPem, security.certificatePem);
}

async function metric(satellite: RunningSatellite, stage: string, reason: string): Promise<number> {
  const text = await (await fetch(`${satellite.opsUrl}/metrics`)).text();
  const line = text
    .split("\n")
    .find(
      (row) =>
        row.startsWith("sentra_satellite_grpc_refusals_total{") &&
        row.includes(`stage="${stage}"`) &&
        row.includes(`reason="${reason}"`),
    );
  return line ? Number(line.slice(line.lastIndexOf(" ") + 1)) : 0;
}

describe("mTLS on SatelliteService: only the coordinator's certificate may call", () => {
  let namespace: TestNamespace;
  let satellite: RunningSatellite;
  let caPem: Buffer;

  beforeEach(async () => {
    namespace = await createTestNamespace("mtls");
    const pki = await getTestPki();
    const config = loadSatelliteConfig({
      ...(await pki.satelliteEnv(SATELLITE_ID)),
      SENTRA_CLOUD: "aws",
      SENTRA_REGION: "eu-west-1",
      SENTRA_SATELLITE_ID: SATELLITE_ID,
      NATS_URL: namespace.urls.natsUrl,
      SENTRA_SUBJECT_PREFIX: namespace.subjectPrefix,
      SENTRA_SIM_TRAFFIC_RPS: "0",
    });
    satellite = await startSatellite(config, createLogger("satellite", "silent"));
    namespace.defer(() => satellite.close());
    const coordinator = await pki.coordinatorSecurity();
    if (coordinator.mode !== "mtls") throw new Error("the test PKI gives mTLS");
    caPem = coordinator.caPem;
  });
  afterEach(async () => {
    await namespace.dispose();
  });

  function clientWith(channelCredentials: ChannelCredentials) {
    const client = createServiceClient(SatelliteService, satellite.grpcEndpoint, channelCredentials, {
      defaultTimeoutMs: 5_000,
    });
    namespace.defer(() => client.close());
    return client;
  }

  it("serves the coordinator's certificate", async () => {
    const coordinator = await (await getTestPki()).coordinatorSecurity();
    const client = clientWith(createPeerChannelCredentials(coordinator, satelliteCommonName(SATELLITE_ID)));
    const info = await client.getSatelliteInfo({});
    expect(info.satelliteId).toBe(SATELLITE_ID);
    expect((await client.getWorkload({ workload: WORKLOAD })).workload?.desiredReplicas).toBeGreaterThan(0);
  });

  it("refuses a client without a certificate at the handshake, and counts it", async () => {
    const client = clientWith(clientCredentials(caPem));
    await expect(client.getSatelliteInfo({})).rejects.toMatchObject({ code: "UNAVAILABLE" });
    // The server sees the refusal as the client does, give or take a tick.
    await eventually(async () =>
      expect(await metric(satellite, "handshake", "no_client_certificate")).toBeGreaterThanOrEqual(1),
    );
  });

  it("refuses a certificate from another CA — even one named `coordinator` — at the handshake", async () => {
    const foreign = await (await createTestPki()).coordinatorSecurity();
    const client = clientWith(clientCredentials(caPem, foreign));
    await expect(client.getSatelliteInfo({})).rejects.toMatchObject({ code: "UNAVAILABLE" });
    // The server sees the refusal as the client does, give or take a tick.
    await eventually(async () =>
      expect(await metric(satellite, "handshake", "untrusted_client_certificate")).toBeGreaterThanOrEqual(1),
    );
  });

  it("refuses a valid certificate of the wrong role (a satellite's) with PERMISSION_DENIED, before any handler", async () => {
    const pki = await getTestPki();
    const otherSatellite = await pki.satelliteSecurity("aws-us-east-1");
    const client = clientWith(clientCredentials(caPem, otherSatellite));
    const before = (
      await clientWith(
        createPeerChannelCredentials(await pki.coordinatorSecurity(), satelliteCommonName(SATELLITE_ID)),
      ).getWorkload({ workload: WORKLOAD })
    ).workload?.desiredReplicas;

    await expect(client.getSatelliteInfo({})).rejects.toMatchObject({ code: "PERMISSION_DENIED" });
    const refused = await client
      .scaleWorkload({ workload: WORKLOAD, replicas: 9, idempotencyKey: "intruder" })
      .catch((error: unknown) => SentraError.from(error));
    expect(refused).toMatchObject({ code: "PERMISSION_DENIED" });
    expect((refused as SentraError).message).toContain("CN=satellite:aws-us-east-1");

    const after = (
      await clientWith(
        createPeerChannelCredentials(await pki.coordinatorSecurity(), satelliteCommonName(SATELLITE_ID)),
      ).getWorkload({ workload: WORKLOAD })
    ).workload?.desiredReplicas;
    expect(after).toBe(before);
    expect(await metric(satellite, "authorisation", "common_name_not_allowed")).toBe(2);
  });

  it("applies the same rule to the health service", async () => {
    const pki = await getTestPki();
    const Health = makeGenericClientConstructor(
      {
        check: {
          path: "/grpc.health.v1.Health/Check",
          requestStream: false,
          responseStream: false,
          requestSerialize: (value: Buffer) => value,
          requestDeserialize: (value: Buffer) => value,
          responseSerialize: (value: Buffer) => value,
          responseDeserialize: (value: Buffer) => value,
        },
      },
      "Health",
    );
    const check = (security: GrpcTransportSecurity) =>
      new Promise<number>((resolve) => {
        const client = new Health(satellite.grpcEndpoint, clientCredentials(caPem, security)) as unknown as Client & {
          check: (request: Buffer, options: CallOptions, done: (error: ServiceError | null) => void) => void;
        };
        client.check(Buffer.alloc(0), { deadline: Date.now() + 5_000 }, (error: ServiceError | null) => {
          client.close();
          resolve(error ? error.code : 0);
        });
      });
    expect(await check(await pki.coordinatorSecurity())).toBe(0);
    expect(await check(await pki.satelliteSecurity("aws-us-east-1"))).toBe(status.PERMISSION_DENIED);
  });

  it("refuses plaintext", async () => {
    const client = clientWith(credentials.createInsecure());
    await expect(client.getSatelliteInfo({})).rejects.toMatchObject({ code: "UNAVAILABLE" });
    // The server sees the refusal as the client does, give or take a tick.
    await eventually(async () => expect(await metric(satellite, "handshake", "not_tls")).toBeGreaterThanOrEqual(1));
  });
});

describe("a satellite's own certificate", () => {
  it("must name the satellite: another satellite's certificate fails the start, naming the file", async () => {
    const pki = await getTestPki();
    const env = await pki.satelliteEnv("aws-us-east-1");
    const config = loadSatelliteConfig({
      ...env,
      SENTRA_CLOUD: "aws",
      SENTRA_REGION: "eu-west-1",
      SENTRA_SATELLITE_ID: SATELLITE_ID,
      NATS_URL: "nats://127.0.0.1:1",
    });
    await expect(startSatellite(config, createLogger("satellite", "silent"))).rejects.toThrowError(
      `SENTRA_TLS_CERT_FILE: ${env.SENTRA_TLS_CERT_FILE} holds a certificate for CN=satellite:aws-us-east-1, but this process must present CN=satellite:aws-eu-west-1`,
    );
  });
});
