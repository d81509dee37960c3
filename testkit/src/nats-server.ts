import { accessSync, constants, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { type RunningProcess, startProcess } from "./child-process.js";
import { freePort } from "./prometheus.js";

/** Options of {@link startNatsServer}. */
export interface NatsServerOptions {
  /** Loopback port to listen on. @default a free port, or the `listen` port of `configPath` */
  readonly port?: number;
  /**
   * A nats-server configuration (e.g. what `sentra nats-config` writes): it decides port, JetStream
   * and users, and is started as `nats-server -c configPath`.
   */
  readonly configPath?: string;
}

/** A private nats-server with JetStream, started for one test. */
export interface RunningNatsServer {
  /** `nats://127.0.0.1:PORT`: the same after a restart. */
  readonly url: string;
  readonly port: number;
  /** Its JetStream store (`-sd`): streams and consumers outlive a restart. */
  readonly storeDir: string;
  /** Whether it is running (false between `stop` and `restart`). */
  readonly running: boolean;
  /** Stops it (SIGTERM, as an outage or a maintenance would); clients see the connection drop. */
  stop(): Promise<void>;
  /** Starts it again on the same port and store, after `stop`. */
  restart(): Promise<void>;
  /** Stops it and deletes its store. */
  dispose(): Promise<void>;
}

const START_HINT =
  "install nats-server (Debian: apt-get install nats-server; or `docker compose up -d nats` and set NATS_SERVER_BIN to a local binary), or set NATS_SERVER_BIN";

/**
 * Starts a real nats-server (`NATS_SERVER_BIN`, else `nats-server` on PATH or in /usr/sbin, where
 * Debian puts it) with JetStream on a free loopback port and a store folder of its own. Unlike the
 * shared NATS a test namespace uses, a test can stop and restart it, to cut components off NATS
 * and bring it back with its streams intact.
 */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<RunningNatsServer> {
  const binary = findNatsServer();
  const storeDir = mkdtempSync(join(tmpdir(), "sentra-nats-"));
  const port = options.port ?? (options.configPath ? listenPort(options.configPath) : await freePort());
  const args = options.configPath
    ? ["-c", options.configPath]
    : ["-js", "-a", "127.0.0.1", "-p", String(port), "-sd", storeDir];
  const launch = async (): Promise<RunningProcess> => {
    const child = startProcess(binary, args, {});
    try {
      await child.waitForOutput(/Server is ready/, 20_000);
    } catch (error) {
      await child.kill();
      throw error;
    }
    return child;
  };
  let current: RunningProcess | undefined = await launch().catch((error: unknown) => {
    rmSync(storeDir, { recursive: true, force: true });
    throw error;
  });
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    get running() {
      return current !== undefined;
    },
    async stop() {
      await current?.stop();
      current = undefined;
    },
    async restart() {
      await current?.stop();
      current = await launch();
    },
    async dispose() {
      await current?.stop();
      current = undefined;
      rmSync(storeDir, { recursive: true, force: true });
    },
  };
}

function findNatsServer(): string {
  const candidates = process.env.NATS_SERVER_BIN
    ? [process.env.NATS_SERVER_BIN]
    : [...(process.env.PATH ?? "").split(delimiter), "/usr/sbin"].map((folder) => join(folder, "nats-server"));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here; try the next folder.
    }
  }
  throw new Error(`nats-server was not found (${process.env.NATS_SERVER_BIN ?? "nats-server on PATH"}): ${START_HINT}`);
}

/** The port of a configuration's `listen: host:port` line. */
function listenPort(configPath: string): number {
  const match = /^\s*listen\s*[:=]\s*"?[^\s":]*:(\d+)"?/m.exec(readFileSync(configPath, "utf8"));
  if (!match?.[1]) throw new Error(`${configPath}: no "listen: host:port" line; pass the port to startNatsServer`);
  return Number(match[1]);
}
