// `npm run demo`: the demo estate on this machine — the coordinator plus one simulated satellite
// per real cloud region — against NATS, Redis and MySQL from the environment (localhost defaults).
import { spawn, spawnSync } from "node:child_process";
import { accessSync, constants, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { natsIdentityEnv, writeNatsServerFiles } from "../cli/dist/index.js";

/**
 * NATS with one user per satellite, as in production (docs/security.md): unless NATS_URL is given,
 * the demo runs its own nats-server (Debian package `nats-server`) from the configuration
 * `sentra nats-config` writes into .sentra/nats, on SENTRA_DEMO_NATS_PORT (4223), so a satellite
 * may publish only under its own subjects. Without a nats-server binary it falls back to the NATS
 * on 4222, without per-satellite permissions, and says so.
 */
function findNatsServer() {
  const candidates = process.env.NATS_SERVER_BIN
    ? [process.env.NATS_SERVER_BIN]
    : [...(process.env.PATH ?? "").split(delimiter), "/usr/sbin"].map((folder) => join(folder, "nats-server"));
  return candidates.find((candidate) => {
    try {
      accessSync(candidate, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}
const natsServerBin = process.env.NATS_URL === undefined ? findNatsServer() : undefined;
const NATS_DIR = join(".sentra", "nats");

const env = {
  NATS_URL: process.env.NATS_URL ?? "nats://127.0.0.1:4222",
  REDIS_URL: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
  MYSQL_URL: process.env.MYSQL_URL ?? "mysql://root@127.0.0.1:3306/sentra",
};

/** One satellite per real region; coordinates come from the satellite's region catalogue. */
const SATELLITES = [
  { cloud: "aws", region: "us-east-1" },
  { cloud: "aws", region: "eu-west-1" },
  { cloud: "aws", region: "ap-southeast-1" },
  { cloud: "aws", region: "sa-east-1" },
  { cloud: "gcp", region: "europe-west1" },
  { cloud: "gcp", region: "asia-northeast1" },
  { cloud: "azure", region: "eastus" },
];

const HINTS = {
  NATS_URL:
    "NATS with JetStream: `nats-server -js` (Debian: apt-get install nats-server), or `docker compose up -d nats`",
  REDIS_URL: "Redis: `redis-server` (Debian: apt-get install redis-server), or `docker compose up -d redis`",
  MYSQL_URL:
    "MySQL/MariaDB with root@127.0.0.1: (Debian: apt-get install mariadb-server), or `docker compose up -d mysql`",
};

function reachable(url, defaultPort) {
  const parsed = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: parsed.hostname, port: Number(parsed.port || defaultPort) });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1500, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

const missing = [];
for (const [name, port] of [...(natsServerBin ? [] : [["NATS_URL", 4222]]), ["REDIS_URL", 6379], ["MYSQL_URL", 3306]]) {
  if (!(await reachable(env[name], port)))
    missing.push(`  ${name}=${env[name]} does not answer. Start ${HINTS[name]}.`);
}
if (missing.length) {
  console.error(`The demo needs NATS, Redis and MySQL:\n${missing.join("\n")}`);
  process.exit(1);
}

const COLORS = [36, 33, 35, 32, 34, 91, 92, 93, 94, 95];
/** Resolves when the coordinator logs that it started (its admin token file exists by then). */
let markCoordinatorStarted;
const coordinatorStarted = new Promise((resolve) => {
  markCoordinatorStarted = resolve;
});
const children = [];
const raw = process.env.SENTRA_DEMO_LOG === "json";
/**
 * A process that fails is started again after 1, 2, 4, 8, 16 s (like a restart policy): a
 * satellite's fixed gRPC port (50061+) lies in Linux's ephemeral range, so another program's
 * outgoing connection can hold it for a moment. After this many failures in a row, each within
 * RESTART_RESET_MS of its start, it stays down and says so.
 */
const MAX_RESTARTS = 5;
const RESTART_RESET_MS = 30_000;
const restarts = new Map();

/** Starts a Node script, or (with `args`) any executable, and prefixes its output lines. */
function start(name, script, extraEnv, color, args) {
  const [command, commandArgs] = args ? [script, args] : [process.execPath, [script]];
  const child = spawn(command, commandArgs, {
    env: { ...process.env, ...env, ...extraEnv },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const startedAtMs = Date.now();
  children.push({ name, child });
  const prefix = `\x1b[${color}m${name.padEnd(22)}\x1b[0m`;
  let buffer = "";
  const onData = (chunk) => {
    buffer += chunk.toString();
    for (let index = buffer.indexOf("\n"); index >= 0; index = buffer.indexOf("\n")) {
      const line = buffer.slice(0, index);
      buffer = buffer.slice(index + 1);
      if (name === "coordinator" && line.includes('"msg":"coordinator started"')) markCoordinatorStarted();
      if (raw) {
        console.log(`${prefix} ${line}`);
        continue;
      }
      // nats-server logs a banner at start; only its warnings and errors matter here.
      if (name === "nats") {
        if (/\[(WRN|ERR|FTL)\]/.test(line)) console.log(`${prefix} ${line}`);
        continue;
      }
      // Prometheus logs in logfmt and a lot at start; only its warnings and errors matter here.
      if (name === "prometheus") {
        if (/level=(warn|error)/i.test(line)) console.log(`${prefix} ${line}`);
        continue;
      }
      try {
        const { level, msg, time, component, name: _n, satelliteId, pid, hostname, ...rest } = JSON.parse(line);
        const levelName = level >= 50 ? "\x1b[31mERROR\x1b[0m" : level >= 40 ? "\x1b[33mWARN \x1b[0m" : "INFO ";
        const extra = Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : "";
        console.log(`${prefix} ${levelName} ${msg}${extra}`);
      } catch {
        console.log(`${prefix} ${line}`);
      }
    }
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", onData);
  child.on("exit", (code, signal) => {
    if (stopping) return;
    const failures = Date.now() - startedAtMs > RESTART_RESET_MS ? 1 : (restarts.get(name) ?? 0) + 1;
    restarts.set(name, failures);
    if (failures > MAX_RESTARTS) {
      console.error(`${prefix} exited (${signal ?? code}); ${MAX_RESTARTS} restarts failed, leaving it down`);
      return;
    }
    const delayMs = 1_000 * 2 ** (failures - 1);
    console.error(`${prefix} exited (${signal ?? code}); restarting in ${delayMs / 1_000} s`);
    setTimeout(() => {
      if (stopping) return;
      const index = children.findIndex((entry) => entry.child === child);
      if (index >= 0) children.splice(index, 1);
      start(name, script, extraEnv, color, args);
    }, delayMs);
  });
  return child;
}

let stopping = false;
async function stopAll() {
  if (stopping) return;
  stopping = true;
  console.log("\nStopping the demo estate…");
  await Promise.all(
    children.map(
      ({ child }) =>
        new Promise((resolve) => {
          if (child.exitCode !== null) return resolve();
          child.once("exit", resolve);
          child.kill("SIGTERM");
          setTimeout(() => child.kill("SIGKILL"), 5000).unref();
        }),
    ),
  );
  process.exit(process.exitCode ?? 0);
}
process.on("SIGINT", stopAll);
process.on("SIGTERM", stopAll);

/** Per-process NATS identity: NATS_URL and the seed file of `coordinator` or a satellite id. */
let natsEnv = () => ({});
let natsNote = `NATS               ${env.NATS_URL} (shared: no per-satellite permissions; install nats-server for them)`;
if (natsServerBin) {
  const files = await writeNatsServerFiles({
    dir: NATS_DIR,
    satelliteIds: SATELLITES.map(({ cloud, region }) => `${cloud}-${region}`),
    subjectPrefix: "",
    listen: `127.0.0.1:${process.env.SENTRA_DEMO_NATS_PORT ?? "4223"}`,
  });
  start("nats", natsServerBin, {}, 37, ["-c", files.serverConfigPath]);
  const deadline = Date.now() + 15_000;
  while (!(await reachable(files.url, 4223))) {
    if (Date.now() > deadline) {
      console.error(`nats-server did not start on ${files.url}; see its output above`);
      process.exitCode = 1;
      await stopAll();
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  env.NATS_URL = files.url;
  natsEnv = (identity) => natsIdentityEnv(files, identity);
  natsNote = `NATS               ${files.url} (own nats-server, one nkey user per satellite: ${NATS_DIR}/)`;
} else if (process.env.NATS_URL === undefined) {
  console.warn("nats-server not found: using the NATS on 4222 without per-satellite permissions");
}

/**
 * The release guard needs a Prometheus scraping the satellites' simulated workloads. The demo
 * starts one (Debian package `prometheus`) when it is installed and nothing else holds :9090.
 */
const PROMETHEUS_BIN = process.env.PROMETHEUS_BIN ?? "/usr/bin/prometheus";
const prometheusUrl = process.env.SENTRA_PROMETHEUS_URL ?? "http://127.0.0.1:9090";
let prometheusNote = `Prometheus: ${prometheusUrl} (yours)`;
if (!process.env.SENTRA_PROMETHEUS_URL) {
  if (await reachable(prometheusUrl, 9090)) {
    prometheusNote = `Prometheus: ${prometheusUrl} (already running: it should scrape 127.0.0.1:9461-${9460 + SATELLITES.length}/metrics/workloads)`;
  } else if (existsSync(PROMETHEUS_BIN)) {
    const dir = mkdtempSync(join(tmpdir(), "sentra-demo-prometheus-"));
    const targets = SATELLITES.map((_, i) => `"127.0.0.1:${9461 + i}"`).join(", ");
    writeFileSync(
      join(dir, "prometheus.yml"),
      `global: { scrape_interval: 2s, evaluation_interval: 2s }
scrape_configs:
  - job_name: sentra-workloads
    metrics_path: /metrics/workloads
    static_configs: [{ targets: [${targets}] }]
  - job_name: sentra-satellites
    static_configs: [{ targets: [${targets}] }]
`,
    );
    start("prometheus", PROMETHEUS_BIN, {}, 90, [
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      "--web.listen-address=127.0.0.1:9090",
    ]);
    prometheusNote = "Prometheus: http://127.0.0.1:9090 (started by the demo, scraping every satellite)";
  } else {
    prometheusNote = "Prometheus: not installed (apt-get install prometheus): rollouts will pause on missing telemetry";
  }
}

/**
 * mTLS between the coordinator and the satellites, as in production: a development PKI under
 * .sentra/pki, made by `sentra certs init` on the first run and reused after (the command keeps
 * the CA and the certificates already there). SENTRA_GRPC_INSECURE=true runs plaintext instead.
 */
const PKI_DIR = join(".sentra", "pki");
const insecure = process.env.SENTRA_GRPC_INSECURE === "true";
const satelliteIds = SATELLITES.map(({ cloud, region }) => `${cloud}-${region}`);
if (!insecure) {
  const certs = spawnSync(
    process.execPath,
    ["cli/dist/main.js", "certs", "init", "--dir", PKI_DIR, "--satellite", ...satelliteIds],
    { encoding: "utf8" },
  );
  if (certs.status !== 0) {
    console.error(`sentra certs init failed:\n${certs.stderr || certs.stdout}`);
    process.exit(1);
  }
}
/** The SENTRA_TLS_* variables of one process, `coordinator` or `satellite-<id>`. */
function tlsEnv(stem) {
  if (insecure) return {};
  return {
    SENTRA_TLS_CA_FILE: join(PKI_DIR, "ca.crt"),
    SENTRA_TLS_CERT_FILE: join(PKI_DIR, `${stem}.crt`),
    SENTRA_TLS_KEY_FILE: join(PKI_DIR, `${stem}.key`),
  };
}

// The coordinator provisions an admin API token into this file at its first start (docs/security.md).
// The demo shows it once, right after it was created; afterwards it only says where it is.
const adminTokenFile = process.env.SENTRA_ADMIN_TOKEN_FILE ?? ".sentra/admin-token";
const adminTokenExisted = existsSync(adminTokenFile);

const httpPort = process.env.SENTRA_HTTP_PORT ?? "3000";
const grpcPort = process.env.SENTRA_GRPC_PORT ?? "50051";
start(
  "coordinator",
  "coordinator/dist/main.js",
  {
    ...tlsEnv("coordinator"),
    ...natsEnv("coordinator"),
    SENTRA_HTTP_PORT: httpPort,
    SENTRA_GRPC_PORT: grpcPort,
    // The demo's satellites price with the seeded model: with SENTRA_AUTO_MIGRATE=true, automatic
    // mode may act on those synthetic prices here (a real estate refuses them by default).
    SENTRA_AUTO_MIGRATE_ALLOW_SYNTHETIC_PRICES: process.env.SENTRA_AUTO_MIGRATE_ALLOW_SYNTHETIC_PRICES ?? "true",
    // Automatic mode moves only workloads that opted in: the demo's seeded shop runs in namespace
    // default, so that namespace opts in (a real estate lists its own, or annotates workloads).
    SENTRA_AUTO_MIGRATE_NAMESPACES: process.env.SENTRA_AUTO_MIGRATE_NAMESPACES ?? "default",
  },
  97,
);
await new Promise((resolve) => setTimeout(resolve, 1500));
SATELLITES.forEach(({ cloud, region }, index) => {
  start(
    `${cloud}-${region}`,
    "satellite/dist/main.js",
    {
      ...tlsEnv(`satellite-${cloud}-${region}`),
      ...natsEnv(`${cloud}-${region}`),
      SENTRA_CLOUD: cloud,
      SENTRA_REGION: region,
      SENTRA_GRPC_PORT: String(50061 + index),
      SENTRA_HTTP_PORT: String(9461 + index),
      SENTRA_PROMETHEUS_URL: prometheusUrl,
    },
    COLORS[index % COLORS.length],
  );
});

function adminTokenNote() {
  if (process.env.SENTRA_ADMIN_TOKEN) return "admin token: the one in SENTRA_ADMIN_TOKEN";
  if (!adminTokenExisted && existsSync(adminTokenFile)) {
    const token = readFileSync(adminTokenFile, "utf8").trim();
    return `admin token (shown this once; kept in ${adminTokenFile}, mode 0600):\n                     \x1b[1m${token}\x1b[0m`;
  }
  return `admin token: cat ${adminTokenFile}`;
}

// The banner once the coordinator is up (so the admin token exists) and the satellites had time to join.
await Promise.all([coordinatorStarted, new Promise((resolve) => setTimeout(resolve, 4000))]);
console.log(`
\x1b[1mSentra demo estate is running\x1b[0m (Ctrl-C stops it)
  coordinator HTTP   http://127.0.0.1:${httpPort}   (/healthz, /metrics)
  coordinator gRPC   127.0.0.1:${grpcPort}           (reflection and health open: grpcurl -plaintext 127.0.0.1:${grpcPort} list)
  satellites         ${SATELLITES.map(({ cloud, region }, i) => `${cloud}-${region} gRPC :${50061 + i} metrics :${9461 + i}`).join("\n                     ")}
  ${natsNote}
  satellite gRPC     ${insecure ? "PLAINTEXT (SENTRA_GRPC_INSECURE=true)" : `mTLS, certificates in ${PKI_DIR}/ (only the coordinator's may call: grpcurl -cacert ${PKI_DIR}/ca.crt -cert ${PKI_DIR}/coordinator.crt -key ${PKI_DIR}/coordinator.key 127.0.0.1:50061 list)`}
  dashboard          http://127.0.0.1:${httpPort}   (sign in with any API token; the admin token below works)
  ${adminTokenNote()}
  ${prometheusNote}
  try:  node cli/dist/main.js regions                 (the CLI reads ${adminTokenFile} by default)
        node cli/dist/main.js token create --name alice --role viewer
        grpcurl -plaintext -H "authorization: Bearer $(cat ${adminTokenFile})" 127.0.0.1:${grpcPort} sentra.v1.CoordinatorService/ListRegions
        a canary of the demo service "catalog": see docs/release-guard.md ("Running it")
`);
