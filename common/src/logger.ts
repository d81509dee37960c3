import { type Logger, pino } from "pino";

export type { Logger };

/**
 * Keys whose values never reach a log line, at any depth pino's redaction reaches. Tokens,
 * passwords and keys are replaced with "[redacted]".
 */
const REDACTED_PATHS = [
  "password",
  "token",
  "authorization",
  "secret",
  "seed",
  "*.password",
  "*.token",
  "*.authorization",
  "*.secret",
  "*.seed",
  "*.privateKey",
  "privateKeyPem",
  "*.privateKeyPem",
  "headers.authorization",
];

/** Creates the structured (JSON) logger of a component. `SENTRA_LOG_LEVEL` is read by config. */
export function createLogger(component: string, level = "info"): Logger {
  return pino({
    name: component,
    level,
    base: { component },
    redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}

/** Strips credentials from a connection URL before it is logged or shown. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "<unparseable url>";
  }
}
