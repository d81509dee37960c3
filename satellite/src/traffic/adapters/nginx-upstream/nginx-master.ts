import { execFile } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { SentraError, sleep } from "@sentra/common";

/** How often the worker processes are looked at while a reload is confirmed, in ms. */
const RELOAD_POLL_MS = 50;

/**
 * Runs `nginx -t -q` (with `-p`/`-c` when given): NGINX parses the whole configuration, includes
 * and all, as a reload would, without touching the running server. Errors go to its stderr (`-e
 * stderr`), never to the server's own error log.
 * @throws SentraError FAILED_PRECONDITION with NGINX's message when the test fails, UNAVAILABLE
 *   when the binary cannot run
 */
export function testNginxConfiguration(options: {
  readonly nginx: string;
  readonly prefix?: string;
  readonly config?: string;
  readonly timeoutMs: number;
}): Promise<void> {
  const args = [
    "-t",
    "-q",
    "-e",
    "stderr",
    ...(options.prefix === undefined ? [] : ["-p", options.prefix]),
    ...(options.config === undefined ? [] : ["-c", options.config]),
  ];
  return new Promise((resolve, reject) => {
    execFile(options.nginx, args, { timeout: options.timeoutMs }, (error, _stdout, stderr) => {
      if (error === null) {
        resolve();
        return;
      }
      const code = (error as NodeJS.ErrnoException).code;
      if (typeof code === "string") {
        reject(new SentraError("UNAVAILABLE", `cannot run ${options.nginx} -t: ${error.message}`, { cause: error }));
        return;
      }
      const message = stderr.trim().split("\n").slice(-3).join(" | ") || error.message;
      reject(
        new SentraError("FAILED_PRECONDITION", `nginx -t refused the configuration: ${message}`, { cause: error }),
      );
    });
  });
}

/**
 * The running master's pid, from its pid file.
 * @throws SentraError UNAVAILABLE when the file is missing or names no running process
 */
export async function nginxMasterPid(pidFile: string): Promise<number> {
  let text: string;
  try {
    text = await readFile(pidFile, "utf8");
  } catch (error) {
    throw new SentraError("UNAVAILABLE", `nginx pid file ${pidFile} cannot be read: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const pid = Number(text.trim());
  if (!Number.isInteger(pid) || pid <= 1) {
    throw new SentraError("UNAVAILABLE", `nginx pid file ${pidFile} holds no pid (${JSON.stringify(text.trim())})`);
  }
  try {
    process.kill(pid, 0);
  } catch (error) {
    throw new SentraError("UNAVAILABLE", `nginx master ${pid} (from ${pidFile}) is not running`, { cause: error });
  }
  return pid;
}

/** The pids of a process's children, from `/proc/<pid>/stat` (Linux). */
export async function childPids(parent: number): Promise<Set<number>> {
  const children = new Set<number>();
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, "utf8").catch(() => undefined);
    if (stat === undefined) continue;
    // pid (comm) state ppid …: comm may hold spaces and parentheses, so read after the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    if (ppid === parent) children.add(Number(entry));
  }
  return children;
}

/**
 * Reloads NGINX (SIGHUP to its master) and confirms that the reload took: the master is the same
 * process and has started worker processes that did not exist before the signal. A master that
 * refuses the new configuration logs why and keeps its old workers, so no new ones appear.
 * @returns the new workers' pids
 * @throws SentraError UNAVAILABLE (no master, the master changed), DEADLINE_EXCEEDED (no new workers
 *   within `timeoutMs`: the configuration was refused, see NGINX's error log)
 */
export async function reloadNginx(pidFile: string, timeoutMs: number): Promise<number[]> {
  const master = await nginxMasterPid(pidFile);
  const before = await childPids(master);
  try {
    process.kill(master, "SIGHUP");
  } catch (error) {
    throw new SentraError("UNAVAILABLE", `cannot signal nginx master ${master}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await sleep(RELOAD_POLL_MS);
    const now = await nginxMasterPid(pidFile);
    if (now !== master) {
      throw new SentraError("UNAVAILABLE", `nginx master changed from ${master} to ${now} during the reload`);
    }
    const fresh = [...(await childPids(master))].filter((pid) => !before.has(pid));
    if (fresh.length > 0) return fresh;
    if (Date.now() > deadline) {
      throw new SentraError(
        "DEADLINE_EXCEEDED",
        `nginx master ${master} started no new workers within ${timeoutMs} ms of SIGHUP: it refused the configuration (see its error log)`,
      );
    }
  }
}
