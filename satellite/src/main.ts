import { createLogger } from "@sentra/common";
import { loadSatelliteConfig } from "./config/satellite-config.js";
import { startSatellite } from "./satellite.js";

/** Process entry: configuration from the environment, clean shutdown on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  let config: ReturnType<typeof loadSatelliteConfig>;
  try {
    config = loadSatelliteConfig(process.env);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  }
  const logger = createLogger("satellite", config.logLevel);
  const satellite = await startSatellite(config, logger).catch((error: unknown) => {
    logger.fatal({ err: error instanceof Error ? error.message : String(error) }, "satellite failed to start");
    process.exit(1);
  });
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "stopping");
    satellite.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

void main();
