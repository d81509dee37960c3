import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { type RunningProcess, startProcess } from "./child-process.js";

/** Options of {@link startPrometheus}. */
export interface PrometheusOptions {
  /** Metrics endpoints to scrape, as full URLs (`http://127.0.0.1:PORT/sentra-sim/v1/metrics`). */
  readonly targets: readonly string[];
  /** @default 1000 — short, so `rate()` over a few seconds has samples. */
  readonly scrapeIntervalMs?: number;
  /**
   * Loopback port to listen on (reserve one with {@link freePort} when a component must know the
   * URL before Prometheus starts). @default a free port
   */
  readonly port?: number;
}

/** A private Prometheus server started for one test. */
export interface RunningPrometheus {
  /** Base URL of its HTTP API, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** The current process (a new one after `restart`). */
  process(): RunningProcess;
  /** Evaluates an instant query; the single sample's value, or undefined when the result is empty. */
  query(promql: string): Promise<number | undefined>;
  /** Resolves once `promql` has a value (targets are applied on a ~5 s tick after start). */
  waitForValue(promql: string, timeoutMs?: number): Promise<number>;
  /** Stops the server (SIGTERM); its telemetry API is then unreachable. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data, after `stop`. */
  restart(): Promise<void>;
  /** Stops it and deletes its data and configuration. */
  dispose(): Promise<void>;
}

const START_HINT =
  "install Prometheus (Debian: apt-get install prometheus; or `docker compose up -d prometheus` and set PROMETHEUS_BIN to a local binary), or set PROMETHEUS_BIN";

/**
 * Starts a real Prometheus (`PROMETHEUS_BIN`, else `prometheus` on PATH) on a free loopback port,
 * with its own data folder and a scrape job per target. Each test gets its own server, so queries
 * never see another test's series.
 */
export async function startPrometheus(options: PrometheusOptions): Promise<RunningPrometheus> {
  const binary = findPrometheus();
  const dir = mkdtempSync(join(tmpdir(), "sentra-prometheus-"));
  const configPath = join(dir, "prometheus.yml");
  writeFileSync(configPath, scrapeConfig(options));
  // Chosen once and kept across restarts (the test's scrape targets and URLs point at it).
  let port = options.port ?? (await freePort());
  const argsFor = (listenPort: number) => [
    `--config.file=${configPath}`,
    `--storage.tsdb.path=${join(dir, "data")}`,
    `--web.listen-address=127.0.0.1:${listenPort}`,
    "--storage.tsdb.retention.time=1h",
  ];
  const launch = async (): Promise<RunningProcess> => {
    const child = startProcess(binary, argsFor(port), {});
    try {
      await child.waitForOutput(/Server is ready to receive web requests/, 20_000);
    } catch (error) {
      await child.kill();
      throw error;
    }
    return child;
  };
  /**
   * The first start: a free port can be taken by another process (an outgoing connection's
   * ephemeral port) between freePort() and Prometheus' bind, so a port found busy is replaced.
   */
  const firstLaunch = async (): Promise<RunningProcess> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await launch();
      } catch (error) {
        const busy = /address already in use/.test(String((error as Error).message));
        if (!busy || options.port !== undefined || attempt >= 5) throw error;
        port = await freePort();
      }
    }
  };
  let current = await firstLaunch().catch((error: unknown) => {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  });
  const url = `http://127.0.0.1:${port}`;

  const query = async (promql: string): Promise<number | undefined> => {
    const response = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query: promql })}`);
    const body = (await response.json()) as {
      status: string;
      error?: string;
      data?: { resultType: string; result: unknown };
    };
    if (body.status !== "success") throw new Error(`Prometheus query ${promql} failed: ${body.error}`);
    const { resultType, result } = body.data ?? { resultType: "", result: [] };
    if (resultType === "scalar") return Number((result as [number, string])[1]);
    const vector = result as { value: [number, string] }[];
    if (vector.length > 1) throw new Error(`Prometheus query ${promql} returned ${vector.length} series`);
    return vector[0] === undefined ? undefined : Number(vector[0].value[1]);
  };

  return {
    url,
    process: () => current,
    query,
    async waitForValue(promql, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const value = await query(promql).catch(() => undefined);
        if (value !== undefined && !Number.isNaN(value)) return value;
        if (Date.now() > deadline) throw new Error(`no value for ${promql} within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    },
    stop: () => current.stop(),
    async restart() {
      await current.stop();
      current = await launch();
    },
    async dispose() {
      await current.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function scrapeConfig(options: PrometheusOptions): string {
  const seconds = (options.scrapeIntervalMs ?? 1_000) / 1000;
  const jobs = options.targets.map((target, index) => {
    const parsed = new URL(target);
    return [
      `  - job_name: target-${index}`,
      `    scheme: ${parsed.protocol.replace(":", "")}`,
      `    metrics_path: ${JSON.stringify(parsed.pathname)}`,
      `    static_configs:`,
      `      - targets: [${JSON.stringify(parsed.host)}]`,
    ].join("\n");
  });
  return `global:\n  scrape_interval: ${seconds}s\n  evaluation_interval: ${seconds}s\nscrape_configs:\n${jobs.join("\n")}\n`;
}

function findPrometheus(): string {
  const candidates = process.env.PROMETHEUS_BIN
    ? [process.env.PROMETHEUS_BIN]
    : (process.env.PATH ?? "").split(delimiter).map((folder) => join(folder, "prometheus"));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here; try the next folder.
    }
  }
  throw new Error(`Prometheus was not found (${process.env.PROMETHEUS_BIN ?? "prometheus on PATH"}): ${START_HINT}`);
}

/** A loopback TCP port that is free now (the OS picked it; nothing holds it after this resolves). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
