import { readFileSync, statSync } from "node:fs";
import { SentraError } from "./sentra-error.js";

/** Where a component's NATS identity lives: at most one of the two files. */
export interface NatsCredentialFiles {
  /** `SENTRA_NATS_NKEY_SEED_FILE`: one nkey user seed (`SU…`), as written by `sentra nats-config`. */
  readonly nkeySeedFile?: string | undefined;
  /** `SENTRA_NATS_CREDS_FILE`: a decentralised-auth `.creds` file (user JWT and seed). */
  readonly credsFile?: string | undefined;
}

/** Credentials read from a file, ready for the NATS client's authenticators. Never log `secret`. */
export type NatsCredentials =
  | { readonly kind: "nkey"; readonly file: string; readonly secret: Uint8Array; readonly othersCanRead: boolean }
  | { readonly kind: "creds"; readonly file: string; readonly secret: Uint8Array; readonly othersCanRead: boolean };

/** An nkey user seed: `S` (seed) + `U` (user) + 56 base32 characters. */
const USER_SEED = /^SU[A-Z2-7]{56}$/;
const CREDS_MARKERS = ["-----BEGIN NATS USER JWT-----", "-----BEGIN USER NKEY SEED-----"];

/**
 * Reads the NATS identity named by the configuration, or undefined when none is (anonymous
 * connection, as on a development server without authorization). Errors name the variable and
 * the file, never the content: a seed must not reach a log even when it is malformed.
 * @throws SentraError INVALID_ARGUMENT when both files are set, a file is unreadable or is not
 *   what its variable promises
 */
export function readNatsCredentials(files: NatsCredentialFiles): NatsCredentials | undefined {
  if (files.nkeySeedFile && files.credsFile) {
    throw SentraError.invalidArgument(
      "SENTRA_NATS_CREDS_FILE",
      "set either SENTRA_NATS_NKEY_SEED_FILE or SENTRA_NATS_CREDS_FILE, not both",
    );
  }
  if (files.nkeySeedFile) {
    const file = files.nkeySeedFile;
    const text = readSecretFile("SENTRA_NATS_NKEY_SEED_FILE", file).trim();
    if (!USER_SEED.test(text)) {
      throw SentraError.invalidArgument(
        "SENTRA_NATS_NKEY_SEED_FILE",
        `${file} does not hold an nkey user seed (one line starting with SU, as written by 'sentra nats-config')`,
      );
    }
    return { kind: "nkey", file, secret: new TextEncoder().encode(text), othersCanRead: othersCanRead(file) };
  }
  if (files.credsFile) {
    const file = files.credsFile;
    const text = readSecretFile("SENTRA_NATS_CREDS_FILE", file);
    if (!CREDS_MARKERS.every((marker) => text.includes(marker))) {
      throw SentraError.invalidArgument(
        "SENTRA_NATS_CREDS_FILE",
        `${file} is not a NATS .creds file (a user JWT and an nkey seed block)`,
      );
    }
    return { kind: "creds", file, secret: new TextEncoder().encode(text), othersCanRead: othersCanRead(file) };
  }
  return undefined;
}

function readSecretFile(variable: string, file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
    throw new SentraError("INVALID_ARGUMENT", `${variable}: cannot read ${file} (${code})`, {
      field: variable,
      cause: error,
    });
  }
}

/** Group or world may read the file: worth a warning, since the seed is the satellite's identity. */
function othersCanRead(file: string): boolean {
  try {
    return (statSync(file).mode & 0o044) !== 0;
  } catch {
    return false;
  }
}
