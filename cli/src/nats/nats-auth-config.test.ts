import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, nkeyAuthenticator } from "@nats-io/transport-node";
import { eventually } from "@sentra/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { createNatsAuthConfig } from "./nats-auth-config.js";

const NATS_SERVER = process.env.NATS_SERVER_BIN ?? "/usr/sbin/nats-server";
const cleanups: Array<() => void> = [];
afterAll(() => {
  for (const cleanup of cleanups.reverse()) cleanup();
});

/** Starts the real nats-server with the generated configuration on a free port. */
async function startNatsServer(config: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "sentra-nats-"));
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  writeFileSync(join(dir, "nats.conf"), `listen: 127.0.0.1:${port}\njetstream { store_dir: "${dir}/js" }\n${config}`);
  const server = spawn(NATS_SERVER, ["-c", join(dir, "nats.conf")], { stdio: "ignore" });
  cleanups.push(() => {
    server.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });
  const url = `nats://127.0.0.1:${port}`;
  await eventually(async () => {
    const probe = await connect({ servers: url, reconnect: false, timeout: 500 }).catch((error: unknown) => error);
    // Without credentials the server must refuse us, which proves it is up and enforcing auth.
    expect(String(probe)).toMatch(/AUTHORIZATION_VIOLATION|Authorization Violation/i);
  }, 10_000);
  return url;
}

describe("per-satellite NATS permissions with the real nats-server", () => {
  it("lets a satellite publish only under its own id", async () => {
    const auth = createNatsAuthConfig({ satelliteIds: ["aws-eu-west-1", "gcp-us-east1"] });
    const url = await startNatsServer(auth.serverConfig);
    const a = auth.satellites.get("aws-eu-west-1");
    if (!a) throw new Error("missing identity");
    const coordinator = await connect({
      servers: url,
      authenticator: nkeyAuthenticator(new TextEncoder().encode(auth.coordinator.seed)),
      inboxPrefix: auth.coordinator.inboxPrefix,
    });
    cleanups.push(() => void coordinator.close());
    const errors: string[] = [];
    const satelliteA = await connect({
      servers: url,
      authenticator: nkeyAuthenticator(new TextEncoder().encode(a.seed)),
      inboxPrefix: a.inboxPrefix,
    });
    cleanups.push(() => void satelliteA.close());
    void (async () => {
      for await (const status of satelliteA.status()) if (status.type === "error") errors.push(String(status.error));
    })();

    const received: string[] = [];
    const subscription = coordinator.subscribe("sentra.v1.sat.*.health", {
      callback: (_error, message) => {
        received.push(message.subject);
      },
    });
    await coordinator.flush();
    satelliteA.publish("sentra.v1.sat.aws-eu-west-1.health", "own");
    satelliteA.publish("sentra.v1.sat.gcp-us-east1.health", "forged");
    await satelliteA.flush();
    await eventually(() => {
      expect(received).toEqual(["sentra.v1.sat.aws-eu-west-1.health"]);
      expect(errors.join()).toMatch(/Permissions Violation for Publish to "sentra.v1.sat.gcp-us-east1.health"/i);
    });
    subscription.unsubscribe();
  });
});
