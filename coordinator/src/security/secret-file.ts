import { chmod, mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { dirname } from "node:path";

/** Where a secret came from; logged at start (never the secret itself). */
export type SecretSource =
  | { kind: "environment"; variable: string }
  | { kind: "file"; path: string; generated: boolean; permissionsTightened: boolean };

export interface SecretFileOptions {
  /** The secret from the environment (wins over the file), or undefined. */
  value: string | undefined;
  /** The variable `value` comes from, and the one naming the file, for messages. */
  variable: string;
  fileVariable: string;
  /** Absolute path of the file that keeps the secret. */
  path: string;
  /** What the secret is, for messages ("the admin token"). */
  purpose: string;
  /** Makes a new secret when the file is absent or empty. */
  generate: () => string;
  /** Whether the file's (trimmed) content is usable; a non-empty unusable file is an error, never overwritten. */
  isValid: (text: string) => boolean;
}

/**
 * A secret a process provisions for itself: the environment's when set; otherwise the one kept in
 * a file, generated there (mode 0600, its folder 0700) the first time. Keeping it across restarts
 * lets clients holding it carry on; delete the file to get a new one. A file others can read is
 * tightened to 0600.
 */
export async function readOrCreateSecretFile(
  options: SecretFileOptions,
): Promise<{ secret: string; source: SecretSource }> {
  if (options.value !== undefined) {
    return { secret: options.value, source: { kind: "environment", variable: options.variable } };
  }
  const { path, purpose } = options;
  const existing = await readFile(path, "utf8").then(
    (text) => text.trim(),
    (error: NodeJS.ErrnoException) => {
      // Absent (or a path through a file): generate one, and say so if it cannot be written.
      if (error.code === "ENOENT" || error.code === "ENOTDIR") return undefined;
      throw new Error(`cannot read ${purpose} file ${path}: ${error.message}`, { cause: error });
    },
  );
  if (existing !== undefined && existing !== "") {
    if (!options.isValid(existing)) {
      // Never print the content: it may be a secret of another kind.
      throw new Error(
        `${path} does not hold ${purpose} in the expected form: fix it, or delete it to have one generated`,
      );
    }
    const mode = (await stat(path)).mode & 0o777;
    const permissionsTightened = (mode & 0o077) !== 0;
    if (permissionsTightened) await chmod(path, 0o600);
    return { secret: existing, source: { kind: "file", path, generated: false, permissionsTightened } };
  }
  const secret = options.generate();
  try {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    await writeFile(path, `${secret}\n`, { mode: 0o600 });
    // `mode` applies only when the file is created: an empty file left behind keeps its own.
    await chmod(path, 0o600);
  } catch (error) {
    throw new Error(
      `cannot write ${purpose} to ${path}: set ${options.variable}, or ${options.fileVariable} to a writable path`,
      { cause: error },
    );
  }
  return { secret, source: { kind: "file", path, generated: true, permissionsTightened: false } };
}
