import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RunningProcess, startProcess } from "./child-process.js";
import { freePort } from "./prometheus.js";
import { requireDebianBinary } from "./service-provisioner.js";

/** One server of the upstream: the address it forwards to, and its line's parameters at start. */
export interface NginxServer {
  readonly address: string;
  /** e.g. `weight=100` or `down`. @default "" */
  readonly parameters?: string;
}

/** Options of {@link startNginx}. */
export interface NginxOptions {
  /** @default "web" */
  readonly upstream?: string;
  /** The upstream's servers at start (the adapter under test rewrites the file later). */
  readonly servers: readonly NginxServer[];
}

/** A private NGINX (the Debian package's binary) started for one test, under its own prefix. */
export interface RunningNginx {
  /** The HTTP server, e.g. `http://127.0.0.1:41234`: every request is proxied to the upstream. */
  readonly url: string;
  readonly upstream: string;
  /** The prefix (`-p`): every file of this NGINX is under it. */
  readonly prefix: string;
  /** The main configuration (`-c`); it includes {@link upstreamFile} inside `http { }`. */
  readonly configFile: string;
  /** The file holding the `upstream` block. */
  readonly upstreamFile: string;
  readonly pidFile: string;
  readonly errorLog: string;
  /** A symbolic link to the nginx binary (a test may remove it to make `nginx -t` fail). */
  readonly binary: string;
  readonly process: RunningProcess;
  /** The master's pid, from its pid file. */
  masterPid(): number;
  /** Removes {@link binary} (NGINX keeps running; `nginx -t` through that path now fails). */
  removeBinary(): void;
  /** Stops it (SIGTERM: fast shutdown) and deletes its prefix. */
  dispose(): Promise<void>;
}

/** NGINX's path in Debian's package; `NGINX_BIN` points elsewhere. */
const NGINX_BIN = process.env.NGINX_BIN ?? "/usr/sbin/nginx";

/**
 * Starts a real NGINX in the foreground (`nginx -p <prefix> -c nginx.conf -g 'daemon off;'`) on a
 * free loopback port, every path (pid, error log, temporary files) inside a temporary prefix, so it
 * runs beside any other NGINX. Its one server proxies everything to an upstream defined in an
 * include file of its own (what the `nginx-upstream` adapter rewrites). Installs Debian's `nginx`
 * first when it is missing and the tests run as root.
 */
export async function startNginx(options: NginxOptions): Promise<RunningNginx> {
  const realBinary = requireDebianBinary(NGINX_BIN, "nginx");
  const upstream = options.upstream ?? "web";
  const prefix = mkdtempSync(join(tmpdir(), "sentra-nginx-"));
  for (const folder of ["conf", "logs", "tmp", "bin"]) mkdirSync(join(prefix, folder));
  const binary = join(prefix, "bin", "nginx");
  symlinkSync(realBinary, binary);
  const port = await freePort();
  const configFile = join(prefix, "conf", "nginx.conf");
  const upstreamFile = join(prefix, "conf", "upstream.conf");
  const pidFile = join(prefix, "logs", "nginx.pid");
  const errorLog = join(prefix, "logs", "error.log");
  writeFileSync(
    upstreamFile,
    `upstream ${upstream} {\n${options.servers.map((server) => `    server ${server.address}${server.parameters ? ` ${server.parameters}` : ""};\n`).join("")}}\n`,
  );
  const temp = (name: string) => `${name}_temp_path ${join(prefix, "tmp", name)};`;
  writeFileSync(
    configFile,
    [
      "worker_processes 1;",
      `pid ${pidFile};`,
      `error_log ${errorLog} notice;`,
      "events { worker_connections 512; }",
      "http {",
      "  access_log off;",
      `  ${temp("client_body")}`,
      `  ${temp("proxy")}`,
      `  ${temp("fastcgi")}`,
      `  ${temp("uwsgi")}`,
      `  ${temp("scgi")}`,
      `  include ${upstreamFile};`,
      "  server {",
      `    listen 127.0.0.1:${port};`,
      "    location / {",
      `      proxy_pass http://${upstream};`,
      "      proxy_http_version 1.1;",
      '      proxy_set_header Connection "";',
      "    }",
      "  }",
      "}",
      "",
    ].join("\n"),
  );
  const child = startProcess(realBinary, ["-p", prefix, "-c", configFile, "-e", errorLog, "-g", "daemon off;"], {});
  const masterPid = () => Number(readFileSync(pidFile, "utf8").trim());
  const dispose = async () => {
    await child.stop();
    rmSync(prefix, { recursive: true, force: true });
  };
  try {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const ready =
        existsSync(pidFile) &&
        (await fetch(`http://127.0.0.1:${port}/`).then(
          () => true,
          () => false,
        ));
      if (ready) break;
      if (child.child.exitCode !== null || Date.now() > deadline) {
        const log = existsSync(errorLog) ? readFileSync(errorLog, "utf8") : "";
        throw new Error(`nginx did not start:\n${child.output().slice(-2000)}\n${log.slice(-2000)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } catch (error) {
    await dispose();
    throw error;
  }
  return {
    url: `http://127.0.0.1:${port}`,
    upstream,
    prefix,
    configFile,
    upstreamFile,
    pidFile,
    errorLog,
    binary,
    process: child,
    masterPid,
    removeBinary: () => rmSync(binary, { force: true }),
    dispose,
  };
}
