import { EventEmitter } from "node:events";

/** A socket.io packet as socket.io-client's Manager hands it over and expects it back. */
interface Packet {
  type: number;
  nsp: string;
  id?: number;
  data?: unknown;
}

/** What socket.io-client's `parser` option takes: two classes it instantiates per connection. */
export interface SocketParser {
  readonly Encoder: new () => object;
  readonly Decoder: new () => object;
}

/**
 * A socket.io-client `parser` for load-only bench clients: text packets encoded and decoded as
 * socket.io-parser does (the dashboard sends no binary), except the events named in `skip`, which
 * are counted (`onSkipped`, with their length in characters) and dropped without JSON.parse. Many
 * such sockets cost the coordinator what real clients do (it encodes a broadcast once and writes it
 * to every socket) while the bench process, which runs them all, only frames the messages; their
 * engine.io heartbeats are answered as usual.
 */
export function skippingSocketParser(
  skip: readonly string[],
  onSkipped: (event: string, chars: number) => void,
): SocketParser {
  const prefixes = skip.map((name) => ({ name, prefix: `[${JSON.stringify(name)}` }));

  class Encoder {
    encode(packet: Packet): string[] {
      const nsp = packet.nsp && packet.nsp !== "/" ? `${packet.nsp},` : "";
      const data = packet.data === undefined || packet.data === null ? "" : JSON.stringify(packet.data);
      return [`${packet.type}${nsp}${packet.id ?? ""}${data}`];
    }
  }

  class Decoder extends EventEmitter {
    add(chunk: unknown): void {
      if (typeof chunk !== "string") throw new Error("binary packets are not supported");
      const type = Number(chunk.charAt(0));
      if (!Number.isInteger(type) || type < 0 || type > 4) throw new Error(`unknown packet type ${chunk.charAt(0)}`);
      let i = 1;
      let nsp = "/";
      if (chunk.charAt(i) === "/") {
        const comma = chunk.indexOf(",", i);
        const end = comma === -1 ? chunk.length : comma;
        nsp = chunk.slice(i, end);
        i = end + 1;
      }
      const id = /^\d+/.exec(chunk.slice(i, i + 16))?.[0];
      if (id !== undefined) i += id.length;
      const packet: Packet = { type, nsp, ...(id === undefined ? {} : { id: Number(id) }) };
      if (i < chunk.length) {
        const skipped = prefixes.find(({ prefix }) => chunk.startsWith(prefix, i));
        if (skipped !== undefined) {
          onSkipped(skipped.name, chunk.length);
          return;
        }
        packet.data = JSON.parse(chunk.slice(i));
      }
      this.emit("decoded", packet);
    }

    destroy(): void {
      this.removeAllListeners();
    }
  }

  return { Encoder, Decoder };
}
