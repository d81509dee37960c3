import { once } from "node:events";
import { join } from "node:path";
import { createTestNamespace, getTestPki, REPO_ROOT, startProcess, type TestNamespace } from "@sentra/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PROCESS_START_TIMEOUT_MS, startSatelliteProcess } from "./support/estate-processes.js";

/** Blank TLS variables: an inherited environment cannot make a process secure by accident. */
const NO_TLS = { SENTRA_TLS_CA_FILE: "", SENTRA_TLS_CERT_FILE: "", SENTRA_TLS_KEY_FILE: "" };

/** Runs a built component until it exits; resolves with its exit code and everything it printed. */
async function runUntilExit(script: string, env: Record<string, string>): Promise<{ code: number; output: string }> {
  const child = startProcess(process.execPath, [join(REPO_ROOT, script)], env);
  const [code] = (await once(child.child, "exit")) as [number];
  return { code, output: child.output() };
}

describe("gRPC transport security of the built processes", () => {
  let namespace: TestNamespace;
  beforeEach(async () => {
    namespace = await createTestNamespace("tls");
  });
  afterEach(async () => {
    await namespace.dispose();
  });

  it("a satellite and a coordinator with neither TLS files nor the insecure flag refuse to start, naming the variables", async () => {
    const satellite = await runUntilExit("satellite/dist/main.js", {
      ...NO_TLS,
      SENTRA_GRPC_INSECURE: "false",
      SENTRA_CLOUD: "aws",
      SENTRA_REGION: "eu-west-1",
    });
    expect(satellite.code).toBe(2);
    expect(satellite.output).toMatch(
      /satellite: invalid configuration\n\s+SENTRA_TLS_CA_FILE, SENTRA_TLS_CERT_FILE, SENTRA_TLS_KEY_FILE: required/,
    );
    const coordinator = await runUntilExit("coordinator/dist/main.js", {
      ...NO_TLS,
      SENTRA_GRPC_INSECURE: "false",
      MYSQL_URL: namespace.mysqlUrl,
    });
    expect(coordinator.code).toBe(2);
    expect(coordinator.output).toMatch(
      /coordinator: invalid configuration\n\s+SENTRA_TLS_CA_FILE, SENTRA_TLS_CERT_FILE, SENTRA_TLS_KEY_FILE: required/,
    );
  });

  it("a satellite whose key file is missing fails its start naming the variable and the file", async () => {
    const env = await (await getTestPki()).satelliteEnv("aws-eu-west-1");
    const missing = `${env.SENTRA_TLS_KEY_FILE}.missing`;
    const satellite = await runUntilExit("satellite/dist/main.js", {
      ...env,
      SENTRA_TLS_KEY_FILE: missing,
      SENTRA_CLOUD: "aws",
      SENTRA_REGION: "eu-west-1",
      NATS_URL: namespace.urls.natsUrl,
      SENTRA_SUBJECT_PREFIX: namespace.subjectPrefix,
    });
    expect(satellite.code).toBe(1);
    expect(satellite.output).toContain(`SENTRA_TLS_KEY_FILE: ${missing} cannot be read (ENOENT)`);
    expect(satellite.output).not.toContain("PRIVATE KEY");
  });

  it("with SENTRA_GRPC_INSECURE=true a satellite serves plaintext and says so once, as a warning", async () => {
    const satellite = await startSatelliteProcess(namespace, "aws", "eu-west-1", {
      ...NO_TLS,
      SENTRA_GRPC_INSECURE: "true",
      SENTRA_LOG_LEVEL: "info",
    });
    await satellite.process.waitForOutput(/"msg":"satellite started"/, PROCESS_START_TIMEOUT_MS);
    const lines = satellite.process
      .output()
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as { level: number; msg: string; grpcTransport?: string });
    const warnings = lines.filter((line) => line.grpcTransport === "insecure" && line.level === 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.msg).toMatch(/PLAINTEXT/);
    expect(lines.find((line) => line.msg === "satellite started")?.grpcTransport).toBe("insecure");
  });
});
