import { createLogger } from "@sentra/common";
import { loadCoordinatorConfig } from "./config/coordinator-config.js";
import { startCoordinator } from "./coordinator.js";

/** Process entry: configuration from the environment, clean shutdown on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  let config: ReturnType<typeof loadCoordinatorConfig>;
  try {
    config = loadCoordinatorConfig(process.env);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  }
  const logger = createLogger("coordinator", config.logLevel);
  const coordinator = await startCoordinator(config, logger).catch((error: unknown) => {
    logger.fatal({ err: error instanceof Error ? error.message : String(error) }, "coordinator failed to start");
    process.exit(1);
  });
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "stopping");
    coordinator.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

void main();
