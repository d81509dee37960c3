import { Metadata, type ServiceError, type StatusObject, status } from "@grpc/grpc-js";
import { type ErrorCodeName, errorCodeName, SentraError } from "@sentra/common";

/** Trailing metadata key carrying SentraError details as JSON (field, numbers of a refused plan). */
export const ERROR_DETAILS_METADATA_KEY = "sentra-error-details";

/** Translates any thrown value into the gRPC status sent to the caller. */
export function toGrpcStatus(error: unknown): Partial<StatusObject> {
  const sentraError = SentraError.from(error);
  const metadata = new Metadata();
  const json = sentraError.toJSON();
  if (json.field !== undefined || json.details !== undefined) {
    // grpc-js accepts only printable ASCII in text metadata (and throws otherwise): \u-escape the
    // rest, which keeps the value valid JSON ("−2.33 USD", "us-east-1 → eu-west-1").
    const text = JSON.stringify({ field: json.field, details: json.details }).replace(
      /[^\x20-\x7e]/g,
      (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`,
    );
    metadata.set(ERROR_DETAILS_METADATA_KEY, text);
  }
  return {
    code: status[sentraError.code as keyof typeof status] as number,
    details: sentraError.message,
    metadata,
  };
}

/** Translates a grpc-js client error back into a SentraError, details included. */
export function fromGrpcError(error: unknown): SentraError {
  if (error instanceof SentraError) return error;
  const serviceError = error as Partial<ServiceError>;
  if (typeof serviceError.code !== "number") return SentraError.from(error);
  const code: ErrorCodeName = errorCodeName(serviceError.code);
  let field: string | undefined;
  let details: Record<string, unknown> | undefined;
  const raw = serviceError.metadata?.get(ERROR_DETAILS_METADATA_KEY)[0];
  if (typeof raw === "string") {
    try {
      const parsed = JSON.parse(raw) as { field?: string; details?: Record<string, unknown> };
      field = parsed.field;
      details = parsed.details;
    } catch {
      // A peer that sends unreadable details still gets its code and message through.
    }
  }
  return new SentraError(code, serviceError.details ?? serviceError.message ?? "gRPC call failed", {
    ...(field === undefined ? {} : { field }),
    ...(details === undefined ? {} : { details }),
    cause: error,
  });
}
