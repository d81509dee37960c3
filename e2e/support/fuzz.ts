import { create, type DescField, type DescMessage, ScalarType, toBinary } from "@bufbuild/protobuf";

/**
 * A seeded pseudo-random generator (mulberry32): the same seed gives the same fuzz run, so a
 * failure is reproduced by running again with the seed the test printed.
 */
export class SeededRandom {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error("pick from an empty list");
    return items[this.int(items.length)] as T;
  }

  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i += 1) out[i] = this.int(256);
    return out;
  }
}

/** How a valid encoding was damaged (a label for reports). */
export type MutationKind = "bit_flip" | "byte_set" | "truncate" | "extend" | "splice" | "duplicate";

/**
 * One mutation of a valid encoding, the classic ways a wire message goes wrong: a flipped bit, a
 * replaced byte, a cut, random bytes appended, a block of random bytes in the middle, the message
 * doubled (protobuf merges repeated fields: a message sent twice is still "valid").
 */
export function mutate(random: SeededRandom, valid: Uint8Array): { bytes: Uint8Array; kind: MutationKind } {
  const kind = random.pick<MutationKind>(["bit_flip", "byte_set", "truncate", "extend", "splice", "duplicate"]);
  const bytes = Uint8Array.from(valid);
  switch (kind) {
    case "bit_flip": {
      if (bytes.length === 0) return { bytes: random.bytes(1), kind };
      const index = random.int(bytes.length);
      bytes[index] = (bytes[index] as number) ^ (1 << random.int(8));
      return { bytes, kind };
    }
    case "byte_set": {
      if (bytes.length === 0) return { bytes: random.bytes(1), kind };
      bytes[random.int(bytes.length)] = random.int(256);
      return { bytes, kind };
    }
    case "truncate":
      return { bytes: bytes.slice(0, random.int(Math.max(1, bytes.length))), kind };
    case "extend":
      return { bytes: concat(bytes, random.bytes(1 + random.int(32))), kind };
    case "splice": {
      const at = random.int(bytes.length + 1);
      return { bytes: concat(bytes.slice(0, at), random.bytes(1 + random.int(16)), bytes.slice(at)), kind };
    }
    case "duplicate":
      return { bytes: concat(bytes, bytes), kind };
    default: {
      const unreachable: never = kind;
      throw new Error(`unknown mutation ${String(unreachable)}`);
    }
  }
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Strings that break naive code: empty, huge, traversal, injection, control and non-BMP characters, bad YAML. */
export const HOSTILE_STRINGS: readonly string[] = [
  "",
  " ",
  "x",
  "a".repeat(70_000),
  "../../../../etc/passwd",
  "'; DROP TABLE rollouts; --",
  "\u0000\u0001\u001f",
  "ünïcødé 🚀 \u202e",
  "aws-eu-west-1",
  "sentra.v1.sat.*.health",
  "-1",
  "NaN",
  "1e309",
  "{}",
  "null",
  "steps: [5, 15",
  "a: &a [x, x]\nb: &b [*a, *a, *a, *a]\nc: &c [*b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c]",
  "steps: [120, -20]\ninterval: 0s\n",
  "!!js/function 'return process.exit(1)'",
];

const INT32_EDGES = [0, -1, 1, 2_147_483_647, -2_147_483_648];
const UINT32_EDGES = [0, 1, 4_294_967_295];
const DOUBLE_EDGES = [0, -0, -1, 1e308, -1e308, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 5e-324];
const INT64_EDGES = [0n, -1n, 1n, 9_223_372_036_854_775_807n, -9_223_372_036_854_775_808n];
const UINT64_EDGES = [0n, 1n, 18_446_744_073_709_551_615n];

function randomString(random: SeededRandom): string {
  if (random.chance(0.5)) return random.pick(HOSTILE_STRINGS);
  const length = random.int(24);
  let text = "";
  for (let i = 0; i < length; i += 1) text += String.fromCharCode(32 + random.int(95));
  return text;
}

function randomScalar(random: SeededRandom, scalar: ScalarType): unknown {
  switch (scalar) {
    case ScalarType.STRING:
      return randomString(random);
    case ScalarType.BYTES:
      return random.bytes(random.int(64));
    case ScalarType.BOOL:
      return random.chance(0.5);
    case ScalarType.DOUBLE:
      return random.chance(0.6) ? random.pick(DOUBLE_EDGES) : (random.next() - 0.5) * 10 ** random.int(12);
    case ScalarType.FLOAT:
      return random.chance(0.5) ? random.pick([0, -1, Number.NaN, Number.POSITIVE_INFINITY]) : random.next() * 1000;
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
      return random.chance(0.6) ? random.pick(INT32_EDGES) : random.int(2_000) - 1_000;
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return random.chance(0.6) ? random.pick(UINT32_EDGES) : random.int(2_000);
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      return random.chance(0.6) ? random.pick(INT64_EDGES) : BigInt(random.int(2_000) - 1_000);
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return random.chance(0.6) ? random.pick(UINT64_EDGES) : BigInt(random.int(2_000));
    default:
      return undefined;
  }
}

function randomFieldValue(random: SeededRandom, field: DescField, depth: number): unknown {
  switch (field.fieldKind) {
    case "scalar":
      return randomScalar(random, field.scalar);
    case "enum":
      // Unknown enum numbers too: a client compiled against another version sends them.
      return random.chance(0.7) ? random.pick(field.enum.values).number : random.pick([-5, 999, 2_147_483_647]);
    case "message":
      return randomMessageInit(random, field.message, depth + 1);
    case "list": {
      const count = random.int(4);
      return Array.from({ length: count }, () =>
        field.listKind === "scalar"
          ? randomScalar(random, field.scalar)
          : field.listKind === "enum"
            ? random.pick(field.enum.values).number
            : randomMessageInit(random, field.message, depth + 1),
      );
    }
    case "map": {
      if (field.mapKey !== ScalarType.STRING) return {};
      const entries: Record<string, unknown> = {};
      for (let i = random.int(3); i > 0; i -= 1) {
        entries[randomString(random).slice(0, 64)] =
          field.mapKind === "scalar"
            ? randomScalar(random, field.scalar)
            : field.mapKind === "enum"
              ? random.pick(field.enum.values).number
              : randomMessageInit(random, field.message, depth + 1);
      }
      return entries;
    }
    default:
      return undefined;
  }
}

/** An init object for `desc` with random (often hostile) values in a random subset of its fields. */
export function randomMessageInit(random: SeededRandom, desc: DescMessage, depth = 0): Record<string, unknown> {
  const init: Record<string, unknown> = {};
  if (depth > 3) return init;
  for (const field of desc.fields) {
    if (field.oneof || !random.chance(0.7)) continue;
    init[field.localName] = randomFieldValue(random, field, depth);
  }
  for (const oneof of desc.oneofs) {
    if (!random.chance(0.7) || oneof.fields.length === 0) continue;
    const member = random.pick(oneof.fields);
    init[oneof.localName] = { case: member.localName, value: randomFieldValue(random, member, depth) };
  }
  return init;
}

/** A random message of `desc`, encoded; random bytes if the values cannot be encoded. */
export function randomEncodedMessage(random: SeededRandom, desc: DescMessage): Uint8Array {
  try {
    return toBinary(desc, create(desc, randomMessageInit(random, desc)));
  } catch {
    return random.bytes(random.int(64));
  }
}
