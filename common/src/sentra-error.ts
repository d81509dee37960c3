/**
 * The one error vocabulary of Sentra. Each edge translates it once: gRPC status (same names and
 * numbers as gRPC), HTTP status, socket acknowledgement.
 */
export const ErrorCode = {
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

export type ErrorCodeName = keyof typeof ErrorCode;

const HTTP_STATUS_BY_CODE: Record<ErrorCodeName, number> = {
  CANCELLED: 499,
  UNKNOWN: 500,
  INVALID_ARGUMENT: 400,
  DEADLINE_EXCEEDED: 504,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  PERMISSION_DENIED: 403,
  RESOURCE_EXHAUSTED: 429,
  FAILED_PRECONDITION: 412,
  ABORTED: 409,
  UNIMPLEMENTED: 501,
  INTERNAL: 500,
  UNAVAILABLE: 503,
  UNAUTHENTICATED: 401,
};

/** Structured facts behind an error (e.g. the numbers of a refused plan), JSON-serialisable. */
export type ErrorDetails = Record<string, unknown>;

/** An error with a gRPC-style code, the field it concerns (for bad arguments) and details. */
export class SentraError extends Error {
  override readonly name = "SentraError";

  constructor(
    readonly code: ErrorCodeName,
    message: string,
    readonly options: { field?: string; details?: ErrorDetails; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
  }

  get field(): string | undefined {
    return this.options.field;
  }

  get details(): ErrorDetails | undefined {
    return this.options.details;
  }

  get httpStatus(): number {
    return HTTP_STATUS_BY_CODE[this.code];
  }

  /** Normalises anything thrown into a SentraError, keeping the original as `cause`. */
  static from(error: unknown, fallback: ErrorCodeName = "INTERNAL"): SentraError {
    if (error instanceof SentraError) return error;
    const message = error instanceof Error ? error.message : String(error);
    return new SentraError(fallback, message, { cause: error });
  }

  static invalidArgument(field: string, problem: string): SentraError {
    return new SentraError("INVALID_ARGUMENT", `${field}: ${problem}`, { field });
  }

  toJSON(): { code: ErrorCodeName; message: string; field?: string; details?: ErrorDetails } {
    return {
      code: this.code,
      message: this.message,
      ...(this.field === undefined ? {} : { field: this.field }),
      ...(this.details === undefined ? {} : { details: this.details }),
    };
  }
}

export function errorCodeName(code: number): ErrorCodeName {
  const entry = Object.entries(ErrorCode).find(([, value]) => value === code);
  return (entry?.[0] as ErrorCodeName | undefined) ?? "UNKNOWN";
}
