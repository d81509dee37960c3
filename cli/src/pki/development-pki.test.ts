import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { credentials, Server, ServerCredentials } from "@grpc/grpc-js";
import { addService, createServiceClient, SatelliteService, withUnimplemented } from "@sentra/proto";
import { afterAll, describe, expect, it } from "vitest";
import { createDevelopmentPki } from "./development-pki.js";

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function pki() {
  const dir = mkdtempSync(join(tmpdir(), "sentra-pki-"));
  dirs.push(dir);
  return createDevelopmentPki({ dir, satelliteIds: ["aws-eu-west-1"] });
}

describe("development PKI", () => {
  it("issues certificates that give mutual TLS, and nothing else gets in", async () => {
    const own = await pki();
    const foreign = await pki();
    const satellite = own.satellites.get("aws-eu-west-1");
    if (!satellite) throw new Error("no satellite certificate");
    expect(statSync(satellite.privateKeyPath).mode & 0o777).toBe(0o600);

    const server = new Server();
    let peer: string | undefined;
    addService(
      server,
      SatelliteService,
      withUnimplemented(SatelliteService, {
        getSatelliteInfo: async (_request, context) => {
          peer = context.peerCommonName;
          return { satelliteId: "aws-eu-west-1" };
        },
      }),
    );
    const serverCredentials = ServerCredentials.createSsl(
      Buffer.from(own.caCertificatePem),
      [{ cert_chain: Buffer.from(satellite.certificatePem), private_key: Buffer.from(satellite.privateKeyPem) }],
      true,
    );
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", serverCredentials, (error, bound) => (error ? reject(error) : resolve(bound))),
    );
    const address = `127.0.0.1:${port}`;
    const call = async (creds: ReturnType<typeof credentials.createSsl>) => {
      const client = createServiceClient(SatelliteService, address, creds, { defaultTimeoutMs: 2_000 });
      try {
        return await client.getSatelliteInfo({});
      } finally {
        client.close();
      }
    };
    try {
      const coordinator = own.coordinator;
      const ok = await call(
        credentials.createSsl(
          Buffer.from(own.caCertificatePem),
          Buffer.from(coordinator.privateKeyPem),
          Buffer.from(coordinator.certificatePem),
        ),
      );
      expect(ok.satelliteId).toBe("aws-eu-west-1");
      expect(peer).toBe("coordinator");

      // No client certificate.
      await expect(call(credentials.createSsl(Buffer.from(own.caCertificatePem)))).rejects.toMatchObject({
        code: "UNAVAILABLE",
      });
      // A client certificate from another CA.
      await expect(
        call(
          credentials.createSsl(
            Buffer.from(own.caCertificatePem),
            Buffer.from(foreign.coordinator.privateKeyPem),
            Buffer.from(foreign.coordinator.certificatePem),
          ),
        ),
      ).rejects.toMatchObject({ code: "UNAVAILABLE" });
      // Plaintext.
      await expect(call(credentials.createInsecure() as never)).rejects.toMatchObject({ code: "UNAVAILABLE" });
    } finally {
      server.forceShutdown();
    }
  });
});
