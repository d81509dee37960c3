import { findRepoRoot, resolveSharedDataDir } from "@sentra/common";

/** The repository root (the folder holding the workspace package.json). */
export const REPO_ROOT = findRepoRoot(import.meta.url);

/**
 * The shared real data folder (spot price histories, regions, egress prices): `SENTRA_SHARED_DATA`
 * or `../shared/data` beside the repository (see `resolveSharedDataDir` in @sentra/common). Tests
 * that need it fail with its error, which names the path tried, when it is missing.
 */
export function sharedDataDir(): string {
  return resolveSharedDataDir(process.env);
}
