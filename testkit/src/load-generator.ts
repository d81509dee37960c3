import { Agent, request } from "node:http";

/** Options of {@link startLoadGenerator}. */
export interface LoadGeneratorOptions {
  /** Where every request goes, e.g. a proxy's frontend `http://127.0.0.1:PORT/`. */
  readonly url: string;
  /** @default 50 */
  readonly requestsPerSecond?: number;
  /** How often the requests due are sent, in ms. @default 100 */
  readonly tickMs?: number;
}

/** A steady stream of real HTTP requests, counted by answer. */
export interface RunningLoadGenerator {
  /** Answers so far by status code (`"200"`, `"500"`, `"502"`), and `"error"` for failed connections. */
  counts(): Readonly<Record<string, number>>;
  /** Stops sending and closes its connections once the requests in flight have answered. */
  stop(): Promise<void>;
}

/**
 * Sends `requestsPerSecond` GET requests to `url` over keep-alive connections, spread evenly over
 * each second (a batch every `tickMs`), so the traffic a proxy splits between versions is real and
 * steady. A request that fails is counted, never retried.
 */
export function startLoadGenerator(options: LoadGeneratorOptions): RunningLoadGenerator {
  const rate = options.requestsPerSecond ?? 50;
  const tickMs = options.tickMs ?? 100;
  const agent = new Agent({ keepAlive: true, maxSockets: 32 });
  const counts: Record<string, number> = {};
  const inFlight = new Set<Promise<void>>();
  let due = 0;
  const count = (key: string) => {
    counts[key] = (counts[key] ?? 0) + 1;
  };
  const send = () => {
    const done = new Promise<void>((resolve) => {
      const req = request(options.url, { agent, method: "GET" }, (response) => {
        response.resume();
        response.on("end", () => {
          count(String(response.statusCode ?? 0));
          resolve();
        });
        response.on("error", () => {
          count("error");
          resolve();
        });
      });
      req.setTimeout(10_000, () => req.destroy(new Error("timed out")));
      req.on("error", () => {
        count("error");
        resolve();
      });
      req.end();
    });
    inFlight.add(done);
    void done.then(() => inFlight.delete(done));
  };
  const timer = setInterval(() => {
    due += (rate * tickMs) / 1000;
    for (; due >= 1; due -= 1) send();
  }, tickMs);
  return {
    counts: () => ({ ...counts }),
    async stop() {
      clearInterval(timer);
      await Promise.all([...inFlight]);
      agent.destroy();
    },
  };
}
