export { sleep } from "./deadline.js";
export { createLogger, type Logger, redactUrl } from "./logger.js";
export { createMetricsRegistry } from "./metrics.js";
export { parseConfig } from "./parse-config.js";
export { type Closable, runMain } from "./run-main.js";
export { ErrorCode, type ErrorCodeName, type ErrorDetails, errorCodeName, SentraError } from "./sentra-error.js";
