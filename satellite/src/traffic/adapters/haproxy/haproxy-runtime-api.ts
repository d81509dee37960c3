import { connect } from "node:net";
import { SentraError } from "@sentra/common";

/** @default 2000 — deadline of one runtime API command (connect, send, read the answer), in ms. */
export const DEFAULT_HAPROXY_COMMAND_TIMEOUT_MS = 2_000;
/** Longest answer read from the runtime API (a `show servers state` of a large backend fits easily). */
const MAX_ANSWER_BYTES = 4 * 1024 * 1024;

/** Where HAProxy's runtime API listens: a unix socket path, or a TCP `host:port`. */
export type RuntimeApiAddress = { readonly path: string } | { readonly host: string; readonly port: number };

/** `/run/haproxy/admin.sock` → a socket path; `127.0.0.1:9999` or `[::1]:9999` → host and port. */
export function parseRuntimeApiAddress(address: string): RuntimeApiAddress | undefined {
  if (address.startsWith("/")) return { path: address };
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(address);
  const port = Number(match?.[3]);
  const host = match?.[1] ?? match?.[2];
  if (host === undefined || !(port >= 1 && port <= 65_535)) return undefined;
  return { host, port };
}

/** One server of a backend as `show servers state` lists it. */
export interface HaproxyServerState {
  readonly backend: string;
  readonly name: string;
  /** `srv_op_state`: 0 stopped, 1 starting, 2 running, 3 stopping. */
  readonly operationalState: number;
  /** `srv_admin_state` bit field; {@link isInMaintenance} reads it. */
  readonly adminState: number;
  /** `srv_uweight`: the weight set now. */
  readonly weight: number;
}

/** Maintenance flags of `srv_admin_state`: forced (FMAINT), inherited (IMAINT), resolution (RMAINT). */
const MAINTENANCE_FLAGS = 0x01 | 0x02 | 0x20;

/** Whether a server is in maintenance (HAProxy sends it nothing, whatever its weight). */
export function isInMaintenance(server: HaproxyServerState): boolean {
  return (server.adminState & MAINTENANCE_FLAGS) !== 0;
}

/**
 * A client of HAProxy's runtime API (the `stats socket … level admin`): one connection per
 * command, in the non-interactive mode, where HAProxy answers and closes. The protocol is a line
 * of text each way, so `node:net` is all it needs.
 */
export class HaproxyRuntimeApi {
  private readonly target: RuntimeApiAddress;

  constructor(
    readonly address: string,
    private readonly timeoutMs = DEFAULT_HAPROXY_COMMAND_TIMEOUT_MS,
  ) {
    const parsed = parseRuntimeApiAddress(address);
    if (parsed === undefined) {
      throw SentraError.invalidArgument("runtimeApi", `${JSON.stringify(address)} is not a socket path or host:port`);
    }
    this.target = parsed;
  }

  /**
   * Sends one command and resolves with HAProxy's whole answer.
   * @throws SentraError UNAVAILABLE (cannot connect, connection lost), DEADLINE_EXCEEDED
   */
  execute(command: string): Promise<string> {
    if (/[\r\n;]/.test(command)) {
      return Promise.reject(new SentraError("INVALID_ARGUMENT", "a runtime API command is one line without ';'"));
    }
    return new Promise<string>((resolve, reject) => {
      const socket = "path" in this.target ? connect(this.target.path) : connect(this.target.port, this.target.host);
      const chunks: Buffer[] = [];
      let size = 0;
      let settled = false;
      const fail = (error: SentraError) => {
        if (settled) return;
        settled = true;
        socket.destroy();
        reject(error);
      };
      socket.setTimeout(this.timeoutMs, () =>
        fail(
          new SentraError(
            "DEADLINE_EXCEEDED",
            `haproxy runtime API at ${this.address} did not answer "${command}" within ${this.timeoutMs} ms`,
          ),
        ),
      );
      socket.on("connect", () => socket.end(`${command}\n`));
      socket.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_ANSWER_BYTES) {
          fail(new SentraError("RESOURCE_EXHAUSTED", `haproxy runtime API answer to "${command}" is too long`));
          return;
        }
        chunks.push(chunk);
      });
      socket.on("error", (error: NodeJS.ErrnoException) =>
        fail(
          new SentraError("UNAVAILABLE", `haproxy runtime API at ${this.address} failed: ${error.message}`, {
            cause: error,
          }),
        ),
      );
      socket.on("close", () => {
        if (settled) return;
        settled = true;
        resolve(Buffer.concat(chunks).toString("utf8"));
      });
    });
  }

  /**
   * A command that answers nothing when it succeeds (`set weight`, `set server … state`); any text
   * is HAProxy's refusal.
   * @throws SentraError FAILED_PRECONDITION with HAProxy's message
   */
  async change(command: string): Promise<void> {
    const answer = (await this.execute(command)).trim();
    if (answer !== "") {
      throw new SentraError("FAILED_PRECONDITION", `haproxy refused "${command}": ${firstLine(answer)}`);
    }
  }

  /**
   * The current weight of `backend/server` (`get weight`: `"30 (initial 100)"`).
   * @throws SentraError NOT_FOUND (no such backend or server), INTERNAL (an answer it cannot read)
   */
  async weight(backend: string, server: string): Promise<number> {
    const answer = (await this.execute(`get weight ${backend}/${server}`)).trim();
    const match = /^(\d+) \(initial \d+\)$/.exec(answer);
    if (match?.[1] === undefined) {
      if (/no such|can't find/i.test(answer)) {
        throw new SentraError("NOT_FOUND", `haproxy: ${backend}/${server}: ${firstLine(answer)}`);
      }
      throw new SentraError(
        "INTERNAL",
        `haproxy answered "get weight ${backend}/${server}" with ${JSON.stringify(answer)}`,
      );
    }
    return Number(match[1]);
  }

  /**
   * The servers of `backend` (`show servers state <backend>`).
   * @throws SentraError NOT_FOUND (no such backend), INTERNAL (an answer it cannot read)
   */
  async servers(backend: string): Promise<HaproxyServerState[]> {
    const answer = await this.execute(`show servers state ${backend}`);
    const lines = answer.split("\n").filter((line) => line.trim() !== "");
    if (lines.length > 0 && /can't find|no such/i.test(lines[0] ?? "")) {
      throw new SentraError("NOT_FOUND", `haproxy has no backend ${backend}`);
    }
    const header = lines.find((line) => line.startsWith("# "));
    if (header === undefined) {
      throw new SentraError(
        "INTERNAL",
        `haproxy answered "show servers state ${backend}" with ${JSON.stringify(firstLine(answer))}`,
      );
    }
    const columns = header.slice(2).split(" ");
    const at = (name: string) => columns.indexOf(name);
    const [be, name, op, admin, weight] = ["be_name", "srv_name", "srv_op_state", "srv_admin_state", "srv_uweight"].map(
      at,
    );
    if ([be, name, op, admin, weight].some((index) => index === undefined || index < 0)) {
      throw new SentraError("INTERNAL", `haproxy's "show servers state" has unexpected columns: ${header}`);
    }
    return lines
      .filter((line) => !line.startsWith("#") && line.includes(" "))
      .map((line) => line.split(" "))
      .map((fields) => ({
        backend: fields[be as number] ?? "",
        name: fields[name as number] ?? "",
        operationalState: Number(fields[op as number]),
        adminState: Number(fields[admin as number]),
        weight: Number(fields[weight as number]),
      }));
  }
}

function firstLine(text: string): string {
  return text.split("\n", 1)[0] ?? text;
}
