import type { SentraError } from "@sentra/common";

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
      return (
        `${error.code}: ${error.message}. Is the coordinator running there? Name it with --coordinator or ` +
        "SENTRA_COORDINATOR (default 127.0.0.1:50051)"
      );
    default:
      return `${error.code}: ${error.message}`;
  }
}
