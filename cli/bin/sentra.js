#!/usr/bin/env node
// `npx sentra` / a global `sentra`. npm links this file at `npm ci`, before anything is built, so
// in a source checkout the first run compiles the CLI (tsc -b, seconds) instead of failing.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const main = new URL("../dist/main.js", import.meta.url);
if (!existsSync(main)) {
  const cliDir = fileURLToPath(new URL("..", import.meta.url));
  let tsc;
  try {
    tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  } catch {
    process.stderr.write(`sentra: ${fileURLToPath(main)} is missing; run \`npm run build\` in the repository\n`);
    process.exit(1);
  }
  process.stderr.write("sentra: building the CLI once (tsc -b cli)…\n");
  const build = spawnSync(process.execPath, [tsc, "-b", cliDir], { stdio: ["ignore", "inherit", "inherit"] });
  if (build.status !== 0) process.exit(build.status ?? 1);
}
await import(main.href);
