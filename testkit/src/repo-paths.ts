import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (the folder holding the workspace package.json). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/**
 * The shared real data folder (spot price histories, regions, egress prices): `SENTRA_SHARED_DATA`
 * or `../shared/data` beside the repository. Tests that need it fail with this message if absent.
 */
export function sharedDataDir(): string {
  const dir = process.env.SENTRA_SHARED_DATA ?? join(REPO_ROOT, "..", "shared", "data");
  if (!existsSync(dir)) {
    throw new Error(
      `shared data folder not found at ${dir}: set SENTRA_SHARED_DATA to the folder holding spot/, regions.json`,
    );
  }
  return dir;
}
