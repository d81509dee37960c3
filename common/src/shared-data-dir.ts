import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { SentraError } from "./sentra-error.js";

/** The environment variable that points at the shared real-data folder (holding spot/, regions.json). */
export const SHARED_DATA_ENV = "SENTRA_SHARED_DATA";

/**
 * The repository root: the nearest folder at or above `from` whose package.json declares npm
 * workspaces. `from` is a `file:` URL (pass `import.meta.url`) or a path.
 * @default from: this module, so the root of the checkout @sentra/common is built in
 */
export function findRepoRoot(from: string = import.meta.url): string {
  const start = from.startsWith("file:") ? dirname(fileURLToPath(from)) : resolve(from);
  for (let dir = start; ; ) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest)) {
      const parsed = JSON.parse(readFileSync(manifest, "utf8")) as { workspaces?: unknown };
      if (parsed.workspaces !== undefined) return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new SentraError("NOT_FOUND", `no package.json with "workspaces" at or above ${start}`);
    dir = parent;
  }
}

/**
 * The shared real-data folder read by tests, calibration, the backtest and benchmarks:
 * `$SENTRA_SHARED_DATA` when set and not empty (relative to the working directory), else
 * `../shared/data` beside the repository root. Throws NOT_FOUND, naming the path it tried, when the
 * folder (with its spot/ inside) is missing: the data is never copied into the repository, so there
 * is no fallback, and a test that needs it fails rather than skips. Takes `env` as a parameter so
 * that only entry points read `process.env`; `from` is where {@link findRepoRoot} starts.
 */
export function resolveSharedDataDir(
  env: Readonly<Record<string, string | undefined>>,
  from: string = import.meta.url,
): string {
  const configured = env[SHARED_DATA_ENV];
  const dir =
    configured !== undefined && configured !== ""
      ? resolve(configured)
      : join(findRepoRoot(from), "..", "shared", "data");
  if (!existsSync(join(dir, "spot"))) {
    throw new SentraError(
      "NOT_FOUND",
      `shared data folder not found at ${dir} (expected spot/*.csv inside): set ${SHARED_DATA_ENV} to the folder holding spot/, regions.json, egress-prices.json and ondemand-prices.csv`,
      { field: SHARED_DATA_ENV },
    );
  }
  return dir;
}
