import { COORDINATOR_COMMON_NAME } from "@sentra/common";
import {
  addService,
  createSecuredServer,
  SatelliteService,
  type ServerIdentityRefusal,
  withUnimplemented,
} from "@sentra/proto";
import { getTestPki } from "@sentra/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { SatelliteClientPool } from "./satellite-client-pool.js";

const closers: Array<() => void> = [];
afterEach(() => {
  for (const close of closers.splice(0).reverse()) close();
});

/** A SatelliteService serving with satellite `certificateId`'s certificate, answering as `certificateId`. */
async function serveAs(certificateId: string): Promise<string> {
  const pki = await getTestPki();
  const { server, listen } = createSecuredServer({
    security: await pki.satelliteSecurity(certificateId),
    allowedClientCommonNames: [COORDINATOR_COMMON_NAME],
  });
  addService(
    server,
    SatelliteService,
    withUnimplemented(SatelliteService, { getSatelliteInfo: async () => ({ satelliteId: certificateId }) }),
  );
  const port = await listen("127.0.0.1:0");
  closers.push(() => server.forceShutdown());
  return `127.0.0.1:${port}`;
}

describe("SatelliteClientPool over mTLS", () => {
  it("calls a satellite whose certificate names it", async () => {
    const endpoint = await serveAs("aws-eu-west-1");
    const pool = new SatelliteClientPool({ security: await (await getTestPki()).coordinatorSecurity() });
    closers.push(() => pool.close());
    expect((await pool.get("aws-eu-west-1", endpoint).getSatelliteInfo({})).satelliteId).toBe("aws-eu-west-1");
  });

  it("refuses a satellite whose certificate names another satellite id (one cannot stand in for another)", async () => {
    // aws-us-east-1's endpoint is answered by a process holding aws-eu-west-1's (valid) certificate.
    const endpoint = await serveAs("aws-eu-west-1");
    const refusals: Array<{ satelliteId: string; refusal: ServerIdentityRefusal }> = [];
    const pool = new SatelliteClientPool({
      security: await (await getTestPki()).coordinatorSecurity(),
      onIdentityRefused: (satelliteId, refusal) => refusals.push({ satelliteId, refusal }),
    });
    closers.push(() => pool.close());

    const refused = pool.get("aws-us-east-1", endpoint).getSatelliteInfo({});
    await expect(refused).rejects.toMatchObject({ code: "UNAVAILABLE" });
    await expect(refused).rejects.toThrowError(
      /presented a certificate for CN=satellite:aws-eu-west-1, expected CN=satellite:aws-us-east-1/,
    );
    expect(refusals[0]).toEqual({
      satelliteId: "aws-us-east-1",
      refusal: {
        expectedCommonName: "satellite:aws-us-east-1",
        presentedCommonName: "satellite:aws-eu-west-1",
        host: "127.0.0.1",
      },
    });
    // The same endpoint, dialled as the satellite it really is, works: the check is per satellite id.
    expect((await pool.get("aws-eu-west-1", endpoint).getSatelliteInfo({})).satelliteId).toBe("aws-eu-west-1");
  });

  it("refuses a server whose certificate is the coordinator's (a valid certificate, the wrong role)", async () => {
    const pki = await getTestPki();
    const { server, listen } = createSecuredServer({
      security: await pki.coordinatorSecurity(),
      allowedClientCommonNames: [COORDINATOR_COMMON_NAME],
    });
    addService(server, SatelliteService, withUnimplemented(SatelliteService, {}));
    const endpoint = `127.0.0.1:${await listen("127.0.0.1:0")}`;
    closers.push(() => server.forceShutdown());
    const pool = new SatelliteClientPool({ security: await pki.coordinatorSecurity() });
    closers.push(() => pool.close());
    await expect(pool.get("aws-eu-west-1", endpoint).getSatelliteInfo({})).rejects.toThrowError(
      /CN=coordinator, expected CN=satellite:aws-eu-west-1/,
    );
  });
});
