import { spawn } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "@sentra/testkit";

/** The CLI as `npx sentra` runs it: the committed bin launcher, which loads cli/dist. */
export const SENTRA_BIN = join(REPO_ROOT, "cli/bin/sentra.js");

/** How a CLI run ended. */
export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the CLI as a child process, in a scratch working directory and with no token or CA
 * inherited from the environment. Asynchronously: a test's in-process servers (fake satellites)
 * must keep answering while the CLI waits.
 */
export function runCli(args: readonly string[], env: Record<string, string> = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SENTRA_BIN, ...args], {
      env: { ...process.env, SENTRA_TOKEN: "", SENTRA_TOKEN_FILE: "", SENTRA_TLS_CA: "", ...env },
      cwd: tmpdir(),
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once("error", reject);
    child.once("close", (status) => resolve({ status, stdout, stderr }));
  });
}
