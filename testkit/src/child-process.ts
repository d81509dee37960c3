import { type ChildProcess, spawn } from "node:child_process";

/** A component started as a real process by a test, with its output kept for diagnostics. */
export interface RunningProcess {
  readonly child: ChildProcess;
  /** Everything the process printed so far (stdout and stderr interleaved). */
  output(): string;
  /** Resolves when a printed line matches; rejects after `timeoutMs` or if the process exits. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process has exited. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL at once (crash tests); resolves when the process has exited. */
  kill(): Promise<void>;
}

/** Options of {@link startProcess}. */
export interface StartProcessOptions {
  /**
   * Whether the child sees the test process's environment under `env`. Off, it sees `env` alone,
   * as a container sees only what its pod spec sets. @default true
   */
  inheritEnvironment?: boolean;
}

export function startProcess(
  command: string,
  args: readonly string[],
  env: Record<string, string>,
  options: StartProcessOptions = {},
): RunningProcess {
  const environment = (options.inheritEnvironment ?? true) ? { ...process.env, ...env } : env;
  const child = spawn(command, args, { env: environment, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer): void => {
    output += chunk.toString("utf8");
    for (const listener of listeners) listener();
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const isRunning = (): boolean => child.exitCode === null && child.signalCode === null;
  const signalAndWait = async (signal: NodeJS.Signals, graceMs: number): Promise<void> => {
    if (!isRunning()) return;
    child.kill(signal);
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    await exited;
    clearTimeout(timer);
  };
  return {
    child,
    output: () => output,
    waitForOutput: (pattern, timeoutMs = 15_000) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          const match = output.match(pattern);
          if (match) {
            cleanup();
            resolve(match);
          } else if (!isRunning()) {
            cleanup();
            reject(new Error(`process exited before printing ${pattern}:\n${output.slice(-4000)}`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${pattern}:\n${output.slice(-4000)}`));
        }, timeoutMs);
        const cleanup = (): void => {
          clearTimeout(timer);
          listeners.delete(check);
          child.off("exit", check);
        };
        listeners.add(check);
        child.on("exit", check);
        check();
      }),
    stop: (graceMs = 5_000) => signalAndWait("SIGTERM", graceMs),
    kill: () => signalAndWait("SIGKILL", 0),
  };
}
