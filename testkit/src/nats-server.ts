import { type RunningProcess, startProcess } from "./child-process.js";

/** @default "/usr/sbin/nats-server" (Debian's package), else `NATS_SERVER_BIN`. */
const DEFAULT_NATS_SERVER_BIN = "/usr/sbin/nats-server";

/** A private nats-server started for one test from a configuration file. */
export interface RunningNatsServer {
  readonly process: RunningProcess;
  /** Stops it (SIGTERM, then SIGKILL) by its own pid. */
  stop(): Promise<void>;
}

/**
 * Starts the real nats-server (`NATS_SERVER_BIN`, else /usr/sbin/nats-server) with `-c configPath`
 * and resolves once it accepts clients. The configuration decides port, JetStream and users
 * (e.g. the files `sentra nats-config` writes, with a free port as `listen`).
 */
export async function startNatsServer(configPath: string, timeoutMs = 15_000): Promise<RunningNatsServer> {
  const binary = process.env.NATS_SERVER_BIN ?? DEFAULT_NATS_SERVER_BIN;
  const child = startProcess(binary, ["-c", configPath], {});
  try {
    await child.waitForOutput(/Server is ready/, timeoutMs);
  } catch (error) {
    await child.kill();
    throw new Error(
      `nats-server did not start (${binary}; install the Debian package nats-server or set NATS_SERVER_BIN): ${String(error)}`,
    );
  }
  return { process: child, stop: () => child.stop() };
}
