import type { SentraError } from "@sentra/common";

/** What grpc-js reports when the TLS handshake refused the server's certificate. */
const CERTIFICATE_PROBLEM = /certificate|self[- ]signed|altnames|ERR_TLS_|SSL routines/i;

/** One line for a failed command: the coordinator's code and message, and what to do for auth failures. */
export function describeFailure(error: SentraError): string {
  switch (error.code) {
    case "UNAUTHENTICATED":
      return (
        `UNAUTHENTICATED: ${error.message}. ` +
        "Give an API token with --token, SENTRA_TOKEN or --token-file (default .sentra/admin-token, which the " +
        "coordinator writes at its first start); an admin creates tokens with `sentra token create`"
      );
    case "PERMISSION_DENIED":
      return `PERMISSION_DENIED: ${error.message}. Ask an admin for a token with that role`;
    case "UNAVAILABLE":
    case "DEADLINE_EXCEEDED":
      if (CERTIFICATE_PROBLEM.test(error.message)) {
        return (
          `${error.code}: ${error.message}. The coordinator's TLS certificate was not accepted: --ca (or ` +
          "SENTRA_TLS_CA) must hold the CA that issued it, and it must name the host dialled (a SAN)"
        );
      }
      return (
        `${error.code}: ${error.message}. Is the coordinator running there? Name it with --coordinator or ` +
        "SENTRA_COORDINATOR (default 127.0.0.1:50051); one serving TLS needs its CA certificate in --ca or SENTRA_TLS_CA"
      );
    default:
      return `${error.code}: ${error.message}`;
  }
}
