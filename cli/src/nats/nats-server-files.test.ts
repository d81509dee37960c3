import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "@sentra/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { createNatsAuthConfig } from "./nats-auth-config.js";
import { natsIdentityEnv, natsServerConfigText, writeNatsServerFiles } from "./nats-server-files.js";

const dir = mkdtempSync(join(tmpdir(), "sentra-nats-files-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The committed examples (deploy/nats) are the generator's output with placeholder keys. */
const EXAMPLE_SATELLITES = ["aws-us-east-1", "aws-eu-west-1", "gcp-europe-west1"];
const EXAMPLE_HEADER = `# EXAMPLE for three satellites: the PLACEHOLDER_… values are not keys, and nats-server refuses to
# start with them. Generate real keys and seed files with deploy/nats/generate.sh ('sentra nats-config').
`;

function expectedExamples(): { auth: string; server: string } {
  const auth = createNatsAuthConfig({ satelliteIds: EXAMPLE_SATELLITES });
  let text = auth.serverConfig.replace(auth.coordinator.publicKey, "PLACEHOLDER_PUBLIC_NKEY_OF_coordinator");
  for (const [id, identity] of auth.satellites)
    text = text.replace(identity.publicKey, `PLACEHOLDER_PUBLIC_NKEY_OF_${id}`);
  const server = natsServerConfigText({
    listen: "0.0.0.0:4222",
    maxPayloadBytes: 1_048_576,
    jetStreamDir: "/var/lib/nats/jetstream",
  }).replace('include "nats-auth.conf"', 'include "nats-auth.example.conf"');
  return { auth: EXAMPLE_HEADER + text, server: EXAMPLE_HEADER + server };
}

describe("nats-server files", () => {
  it("writes a complete server config, the users' block and private seed files, and says what each identity sets", async () => {
    const files = await writeNatsServerFiles({ dir, satelliteIds: ["aws-eu-west-1"], listen: "127.0.0.1:14222" });
    const server = readFileSync(files.serverConfigPath, "utf8");
    expect(server).toContain('listen: "127.0.0.1:14222"');
    expect(server).toContain(`store_dir: ${JSON.stringify(join(dir, "jetstream"))}`);
    expect(server).toContain('include "nats-auth.conf"');
    expect(readFileSync(files.authConfigPath, "utf8")).toContain(files.publicKeys.get("aws-eu-west-1"));
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(natsIdentityEnv(files, "coordinator")).toEqual({
      NATS_URL: "nats://127.0.0.1:14222",
      SENTRA_NATS_NKEY_SEED_FILE: join(dir, "coordinator.nk"),
    });
    expect(natsIdentityEnv(files, "aws-eu-west-1").SENTRA_NATS_NKEY_SEED_FILE).toBe(
      join(dir, "satellite-aws-eu-west-1.nk"),
    );
    expect(() => natsIdentityEnv(files, "gcp-x")).toThrow(/no NATS identity "gcp-x"/);

    // A second run makes new keys and keeps the seed files private even if someone loosened them.
    writeFileSync(files.coordinatorSeedPath, "old", { mode: 0o644 });
    const again = await writeNatsServerFiles({ dir, satelliteIds: ["aws-eu-west-1"], listen: "127.0.0.1:14222" });
    expect(again.publicKeys.get("coordinator")).not.toBe(files.publicKeys.get("coordinator"));
    expect(statSync(again.coordinatorSeedPath).mode & 0o777).toBe(0o600);
    await expect(writeNatsServerFiles({ dir, satelliteIds: [], listen: "4222" })).rejects.toThrow(/host:port/);
  });

  it("keeps the committed examples in deploy/nats equal to what the generator writes", () => {
    const expected = expectedExamples();
    const authPath = join(REPO_ROOT, "deploy/nats/nats-auth.example.conf");
    const serverPath = join(REPO_ROOT, "deploy/nats/nats-server.example.conf");
    // SENTRA_UPDATE_EXAMPLES=1 rewrites them after a deliberate change of the generator.
    if (process.env.SENTRA_UPDATE_EXAMPLES === "1") {
      writeFileSync(authPath, expected.auth);
      writeFileSync(serverPath, expected.server);
    }
    expect(readFileSync(authPath, "utf8")).toBe(expected.auth);
    expect(readFileSync(serverPath, "utf8")).toBe(expected.server);
  });
});
