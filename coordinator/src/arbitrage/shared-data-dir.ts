import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The monorepo root: the nearest ancestor whose package.json declares npm workspaces. */
export function findRepoRoot(fromUrl: string): string {
  let dir = dirname(fileURLToPath(fromUrl));
  for (;;) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest)) {
      const parsed = JSON.parse(readFileSync(manifest, "utf8")) as { workspaces?: unknown };
      if (parsed.workspaces !== undefined) return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`No package.json with "workspaces" above ${fromUrl}`);
    dir = parent;
  }
}

/**
 * Where the shared price data lives: `SENTRA_SHARED_DATA` when set, else `../shared/data` next to
 * the repository root. Tests, benchmarks and the backtest CLI read the data from there; it is never
 * copied into the repository. Takes `env` as a parameter so only entry points touch `process.env`.
 */
export function resolveSharedDataDir(env: Readonly<Record<string, string | undefined>>, fromUrl: string): string {
  const configured = env.SENTRA_SHARED_DATA;
  if (configured !== undefined && configured !== "") return resolve(configured);
  return resolve(findRepoRoot(fromUrl), "..", "shared", "data");
}

/** The six-region AWS GPU spot history, relative to the shared data folder. */
export const AWS_GPU_HISTORY = "spot/aws-gpu-6-regions-2019-12_2020-03.csv";
