import { randomBytes } from "node:crypto";
import { open, readFile, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/** One `server` line of an upstream block: its address, weight and whether it is marked `down`. */
export interface UpstreamServer {
  readonly address: string;
  /** `weight=` (NGINX's default 1). */
  readonly weight: number;
  readonly down: boolean;
}

/** What the adapter writes: the upstream, its own directives, and the servers in order. */
export interface UpstreamBlock {
  readonly upstream: string;
  /** Directives copied into the block before the servers (`keepalive 16`, `least_conn`). */
  readonly directives: readonly string[];
  readonly servers: readonly UpstreamServer[];
  /** The header comment's text (what wrote the file and why). */
  readonly comment: string;
}

/** The upstream block as NGINX reads it, with the adapter's header comment. */
export function renderUpstreamBlock(block: UpstreamBlock): string {
  const lines = [
    `# ${block.comment.replace(/\n/g, " ")}`,
    `upstream ${block.upstream} {`,
    ...block.directives.map((directive) => `    ${directive};`),
    ...block.servers.map(
      (server) => `    server ${server.address} weight=${Math.max(1, server.weight)}${server.down ? " down" : ""};`,
    ),
    "}",
    "",
  ];
  return lines.join("\n");
}

/**
 * The `server` lines of upstream `name` in an NGINX configuration text (comments dropped), or
 * undefined when the text defines no such upstream.
 */
export function parseUpstreamServers(text: string, name: string): UpstreamServer[] | undefined {
  const uncommented = text.replace(/#[^\n]*/g, "");
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const block = new RegExp(`(?:^|[\\s;}])upstream\\s+${escaped}\\s*\\{([^}]*)\\}`).exec(uncommented);
  if (block?.[1] === undefined) return undefined;
  const servers: UpstreamServer[] = [];
  for (const statement of block[1].split(";")) {
    const words = statement.trim().split(/\s+/);
    if (words[0] !== "server" || words[1] === undefined) continue;
    const parameters = words.slice(2);
    const weight = Number(parameters.find((word) => word.startsWith("weight="))?.slice("weight=".length) ?? 1);
    servers.push({
      address: words[1],
      weight: Number.isFinite(weight) ? weight : 1,
      down: parameters.includes("down"),
    });
  }
  return servers;
}

/** The canary's share of an upstream's traffic, in percent (a server marked down counts 0). */
export function canaryShareOf(servers: readonly UpstreamServer[], stable: string, canary: string): number {
  const effective = (address: string) =>
    servers
      .filter((server) => server.address === address && !server.down)
      .reduce((total, server) => total + server.weight, 0);
  const stableWeight = effective(stable);
  const canaryWeight = effective(canary);
  const total = stableWeight + canaryWeight;
  return total === 0 ? 0 : Math.round((canaryWeight / total) * 100);
}

/** The file's text, or undefined when it does not exist. */
export async function readTextFile(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/**
 * Replaces `path` with `text` atomically: a temporary file in the same folder, written and
 * fsynced, then renamed over it. A reader (NGINX's master on reload) sees the old file or the new
 * one, never half of it; a failure leaves the old file and no temporary file behind.
 */
export async function writeFileAtomically(path: string, text: string): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.sentra-${randomBytes(6).toString("hex")}.tmp`);
  try {
    const handle = await open(temporary, "wx", 0o644);
    try {
      await handle.writeFile(text, "utf8");
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true }).catch(() => undefined);
    throw error;
  }
}
