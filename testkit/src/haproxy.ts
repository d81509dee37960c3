import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RunningProcess, startProcess } from "./child-process.js";
import { freePort } from "./prometheus.js";
import { requireDebianBinary } from "./service-provisioner.js";

/** One server of the backend: a name and the `host:port` it forwards to. */
export interface HaproxyServer {
  readonly name: string;
  readonly address: string;
  /** Its weight at start (0–256). @default 100 for the first server, 0 for the others */
  readonly weight?: number;
}

/** Options of {@link startHaproxy}. */
export interface HaproxyOptions {
  /** @default "web" */
  readonly backend?: string;
  readonly servers: readonly HaproxyServer[];
}

/** A private HAProxy (the Debian package's binary) started for one test. */
export interface RunningHaproxy {
  /** The HTTP frontend, e.g. `http://127.0.0.1:41234`: every request goes to the backend. */
  readonly url: string;
  readonly backend: string;
  /** The admin runtime API on a unix socket (`stats socket … level admin`). */
  readonly socketPath: string;
  /** The same runtime API on loopback TCP, `127.0.0.1:PORT`. */
  readonly tcpAddress: string;
  readonly process: RunningProcess;
  /** Sends one runtime API command over the unix socket, or `via` the TCP address; HAProxy's answer. */
  command(command: string, via?: "socket" | "tcp"): Promise<string>;
  /** Each server's weight now (`get weight`), through the TCP address (the unix socket may be gone). */
  weights(): Promise<Record<string, number>>;
  /** Removes the unix socket's file (HAProxy keeps running; connecting by that path now fails). */
  removeSocket(): void;
  /** Stops it (SIGTERM, as `haproxy -db` expects) and deletes its folder. */
  dispose(): Promise<void>;
}

/** HAProxy's path in Debian's package; `HAPROXY_BIN` points elsewhere. */
const HAPROXY_BIN = process.env.HAPROXY_BIN ?? "/usr/sbin/haproxy";

/**
 * Starts a real HAProxy in the foreground (`haproxy -f cfg -db`) on free loopback ports: an HTTP
 * frontend whose one backend balances (`roundrobin`) over `servers` by weight, and the admin runtime
 * API on both a unix socket and loopback TCP. Installs Debian's `haproxy` first when it is missing
 * and the tests run as root.
 */
export async function startHaproxy(options: HaproxyOptions): Promise<RunningHaproxy> {
  const binary = requireDebianBinary(HAPROXY_BIN, "haproxy");
  const backend = options.backend ?? "web";
  const dir = mkdtempSync(join(tmpdir(), "sentra-haproxy-"));
  const socketPath = join(dir, "admin.sock");
  const [frontendPort, adminPort] = [await freePort(), await freePort()];
  const configPath = join(dir, "haproxy.cfg");
  writeFileSync(
    configPath,
    [
      "global",
      `  stats socket ${socketPath} mode 600 level admin`,
      `  stats socket 127.0.0.1:${adminPort} level admin`,
      "defaults",
      "  mode http",
      "  timeout connect 2s",
      "  timeout client 30s",
      "  timeout server 30s",
      "frontend main",
      `  bind 127.0.0.1:${frontendPort}`,
      `  default_backend ${backend}`,
      `backend ${backend}`,
      "  balance roundrobin",
      ...options.servers.map(
        (server, index) =>
          `  server ${server.name} ${server.address} weight ${server.weight ?? (index === 0 ? 100 : 0)}`,
      ),
      "",
    ].join("\n"),
  );
  const child = startProcess(binary, ["-f", configPath, "-db"], {});
  const tcpAddress = `127.0.0.1:${adminPort}`;
  const command = (text: string, via: "socket" | "tcp" = "socket") =>
    runtimeCommand(via === "socket" ? { path: socketPath } : { host: "127.0.0.1", port: adminPort }, text);
  const dispose = async () => {
    await child.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const ready = await command("show info", "tcp").then(
        (answer) => answer.includes("Name: HAProxy"),
        () => false,
      );
      if (ready) break;
      if (child.child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`haproxy did not start:\n${child.output().slice(-4000)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } catch (error) {
    await dispose();
    throw error;
  }
  return {
    url: `http://127.0.0.1:${frontendPort}`,
    backend,
    socketPath,
    tcpAddress,
    process: child,
    command,
    async weights() {
      const result: Record<string, number> = {};
      for (const server of options.servers) {
        const answer = await command(`get weight ${backend}/${server.name}`, "tcp");
        result[server.name] = Number(/^(\d+)/.exec(answer)?.[1] ?? Number.NaN);
      }
      return result;
    },
    removeSocket: () => rmSync(socketPath, { force: true }),
    dispose,
  };
}

/** One command to HAProxy's runtime API (it answers and closes in the non-interactive mode). */
function runtimeCommand(target: { path: string } | { host: string; port: number }, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = "path" in target ? connect(target.path) : connect(target.port, target.host);
    let answer = "";
    socket.setTimeout(5_000, () => socket.destroy(new Error(`haproxy did not answer ${text}`)));
    socket.on("connect", () => socket.end(`${text}\n`));
    socket.on("data", (chunk: Buffer) => {
      answer += chunk.toString("utf8");
    });
    socket.on("error", reject);
    socket.on("close", (hadError) => {
      if (!hadError) resolve(answer);
    });
  });
}
