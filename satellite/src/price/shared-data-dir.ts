import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The environment variable that points at the shared real-data folder (holding spot/, regions.json). */
export const SHARED_DATA_ENV = "SENTRA_SHARED_DATA";

/**
 * The shared real-data folder used by tests, calibration and benchmarks: `$SENTRA_SHARED_DATA` when
 * set, else `../shared/data` beside the repository root (the folder whose package.json declares the
 * npm workspaces, found by walking up from this module). Throws, naming the path it tried, when the
 * folder is missing: the data is never copied into the repository, so there is no fallback.
 */
export function resolveSharedDataDir(env: Readonly<Record<string, string | undefined>>): string {
  const fromEnv = env[SHARED_DATA_ENV];
  const dir = fromEnv !== undefined && fromEnv !== "" ? resolve(fromEnv) : join(findRepoRoot(), "..", "shared", "data");
  if (!existsSync(join(dir, "spot"))) {
    throw new Error(
      `shared data folder not found at ${dir} (expected spot/*.csv inside): set ${SHARED_DATA_ENV} to the folder holding spot/, regions.json and ondemand-prices.csv`,
    );
  }
  return dir;
}

/** The repository root: the nearest ancestor of this module whose package.json has "workspaces". */
export function findRepoRoot(start: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = start;
  for (;;) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest) && "workspaces" in (JSON.parse(readFileSync(manifest, "utf8")) as object)) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no workspace package.json above ${start}`);
    dir = parent;
  }
}
