import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The built process entry point of a component (`node <it>` starts a coordinator or a satellite),
 * resolved from its package as installed, not from a path into the repository: `main.js` is
 * compiled next to the package's entry, `dist/index.js`, from `src/main.ts`.
 */
export function componentMainScript(packageName: "@sentra/coordinator" | "@sentra/satellite"): string {
  return join(dirname(fileURLToPath(import.meta.resolve(packageName))), "main.js");
}
