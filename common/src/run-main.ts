import { createLogger, type Logger } from "./logger.js";

/** What a component's entry point starts: something that can be closed. */
export interface Closable {
  close(): Promise<void>;
}

/**
 * The process entry of a component: configuration parsed once (invalid → exit 2 with every
 * problem named), start (failure → exit 1 with the reason), clean shutdown on SIGTERM/SIGINT.
 */
export async function runMain<C extends { logLevel: string }>(
  component: string,
  loadConfig: (env: Record<string, string | undefined>) => C,
  start: (config: C, logger: Logger) => Promise<Closable>,
): Promise<void> {
  let config: C;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  }
  const logger = createLogger(component, config.logLevel);
  const running = await start(config, logger).catch((error: unknown) => {
    logger.fatal({ err: error instanceof Error ? error.message : String(error) }, `${component} failed to start`);
    process.exit(1);
  });
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "stopping");
    running.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}
